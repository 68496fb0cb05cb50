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
  OR3006: { severity: 'error', title: 'unknown model output', message: "the model has no output named '{name}'" },
  OR3007: {
    severity: 'error',
    title: 'layers not found',
    message: 'could not find the layers of the backbone: {reason}',
  },
  OR3101: {
    severity: 'error',
    title: 'malformed safetensors file',
    message: "'{file}' is not a usable safetensors file: {reason}",
  },
};
