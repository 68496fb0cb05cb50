import type { CatalogEntry } from './entry.js';

export const compileCodes: Record<string, CatalogEntry> = {
  OR5002: {
    severity: 'error',
    title: 'not supported yet',
    message: 'Offramp cannot compile {what} yet',
  },
  OR5003: {
    severity: 'warning',
    title: 'fp16 not applied',
    message: "target '{target}' asks for fp16, which Offramp does not emit yet; it gets the fp32 model",
  },
  OR5004: {
    severity: 'warning',
    title: 'segmented form not applied',
    message:
      "target '{target}' asks for the segmented form, which Offramp does not emit yet; it gets the chain form",
  },
  OR5005: {
    severity: 'error',
    title: 'parameter out of range',
    message: "'{name}' of policy '{policy}' must be {range}, got {value}",
  },
  OR5006: {
    severity: 'error',
    title: 'wrong number of per-exit values',
    message: 'this policy has {exits} exits, but {given} values are given (one per exit, in exit order)',
  },
  OR5008: {
    severity: 'error',
    title: 'layer cannot be deferred',
    message: "the 'recompute' cache strategy cannot defer layer {layer} of this decoder: {reason}",
  },
  OR5009: {
    severity: 'error',
    title: 'cache strategy does not fit the backbone',
    message: "the decode block's cache strategy '{strategy}' does not fit this backbone: {reason}",
  },
  OR5010: {
    severity: 'error',
    title: 'cache shapes do not match',
    message:
      "layer {layer}'s cache input '{past}' {pastShape} and output '{present}' {presentShape} do not match: {reason}",
  },
  OR5001: {
    severity: 'error',
    title: 'policy needs pooled vectors',
    message:
      "policy '{policy}' needs the pooled vector at layer {layer}, but that exit's head has none (use a head with pooling, not exits from outputs)",
  },
};
