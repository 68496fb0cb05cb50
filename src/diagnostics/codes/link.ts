import type { CatalogEntry } from './entry.js';

export const linkCodes: Record<string, CatalogEntry> = {
  OR3001: { severity: 'error', title: 'file not found', message: "cannot read {what} '{file}': {reason}" },
  OR3002: {
    severity: 'error',
    title: 'unknown layer pattern',
    message: "no node of the backbone matches the layer pattern '{pattern}'",
  },
  OR3003: { severity: 'error', title: 'unknown weight key', message: "'{file}' has no tensor named '{key}'" },
  OR3004: {
    severity: 'error',
    title: 'weight shape mismatch',
    message: "tensor '{key}' has shape [{actual}], but {role} needs [{expected}]",
  },
  OR3005: {
    severity: 'error',
    title: 'exit past the last layer',
    message: 'exit after layer {layer}, but the backbone has {layers} layers',
  },
  OR3006: {
    severity: 'error',
    title: 'unknown model output',
    message: "the model has no output named '{name}'",
  },
  OR3007: {
    severity: 'error',
    title: 'layers not found',
    message: 'could not find the layers of the backbone: {reason}',
  },
  OR3008: {
    severity: 'error',
    title: 'unknown model input',
    message: "the model has no input named '{name}'",
  },
  OR3009: { severity: 'error', title: 'unknown tensor', message: "the model has no tensor named '{name}'" },
  OR3010: {
    severity: 'error',
    title: 'no output for an exit',
    message: "the output template '{template}' names no output of the model{detail}",
  },
  OR3011: {
    severity: 'error',
    title: 'weight dtype',
    message: "tensor '{key}' is {dtype}, but {role} needs F32",
  },
  OR3012: {
    severity: 'error',
    title: 'sizes disagree',
    message: '{role} implies {dim} = {actual}, but {source} says {expected}',
  },
  OR3101: {
    severity: 'error',
    title: 'malformed safetensors file',
    message: "'{file}' is not a usable safetensors file: {reason}",
  },
};
