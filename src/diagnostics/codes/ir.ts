import type { CatalogEntry } from './entry.js';

export const irCodes: Record<string, CatalogEntry> = {};
