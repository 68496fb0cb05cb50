import type { CatalogEntry } from './entry.js';

export const compileCodes: Record<string, CatalogEntry> = {
  OR5001: {
    severity: 'error',
    title: 'policy needs pooled vectors',
    message: "policy '{policy}' needs the pooled vector at layer {layer}, but that exit's head has none (use a head with pooling, not exits from outputs)",
  },
};
