import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { checkSource } from '../../src/link/index.js';
import { checkRamp } from '../../src/parser/index.js';
import { expectedDiagnostics } from './support/expectations.js';

const dir = fileURLToPath(new URL('./invalid/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.ramp'));

describe('invalid .ramp fixtures produce exactly their annotated diagnostics', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(8));
  for (const name of files) {
    it(name, async () => {
      const path = `${dir}${name}`;
      const source = readFileSync(path, 'utf8');
      const expected = expectedDiagnostics(source);
      expect(expected.length, 'a fixture must announce at least one diagnostic').toBeGreaterThan(0);
      const result = name.startsWith('link-') ? await checkSource(source, path) : checkRamp(source, path);
      const actual = result.diagnostics
        .map((d) => `${d.span?.start.line ?? 0}: ${d.severity} ${d.code}`)
        .sort();
      const want = expected.map((e) => `${e.line}: ${e.severity} ${e.code}`).sort();
      expect(actual, formatDiagnostics(result.diagnostics, { sources: new Map([[path, source]]) })).toEqual(
        want,
      );
    });
  }
});
