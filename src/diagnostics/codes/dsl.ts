import type { CatalogEntry } from './entry.js';

export const dslCodes: Record<string, CatalogEntry> = {};
