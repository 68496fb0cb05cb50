import type { CatalogEntry } from './entry.js';

export const internalCodes: Record<string, CatalogEntry> = {
  OR9001: {
    severity: 'error',
    title: 'internal error',
    message:
      'internal compiler error: {detail}. This is a bug in Offramp; please report it with the reproducer.',
  },
};
