import type { CatalogEntry } from './entry.js';

export const compileCodes: Record<string, CatalogEntry> = {};
