import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cstTypesPath, cstTypesSource } from './support/cst-types.js';

/** Formatting-insensitive form: the committed file is run through biome, the generator's output is not. */
const normalize = (text: string) =>
  text
    .replace(/["']/g, "'")
    .replace(/\((\w+)\)\[\]/g, '$1[]')
    .replace(/[\s;,]+/g, '');

describe('generated CST types', () => {
  it('match the grammar (regenerate: node --import tsx test/parser/support/cst-types.ts --write)', () => {
    expect(normalize(readFileSync(cstTypesPath, 'utf8'))).toBe(normalize(cstTypesSource()));
  });
});
