import type { CatalogEntry } from './entry.js';

export const linkCodes: Record<string, CatalogEntry> = {};
