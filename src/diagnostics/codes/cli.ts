import type { CatalogEntry } from './entry.js';

export const cliCodes: Record<string, CatalogEntry> = {};
