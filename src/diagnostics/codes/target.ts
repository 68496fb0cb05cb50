import type { CatalogEntry } from './entry.js';

export const targetCodes: Record<string, CatalogEntry> = {};
