import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { checkFile } from '../../src/link/index.js';
import { checkRamp, formatRamp, POLICY_NAMES } from '../../src/parser/index.js';

const dir = fileURLToPath(new URL('../../dsl/examples/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.ramp'));
const read = (f: string) => readFileSync(`${dir}${f}`, 'utf8');

describe('dsl/examples', () => {
  it('cover every policy, from outputs, every target and an sdk block', () => {
    const models = files.flatMap((f) => checkRamp(read(f), f).models ?? []);
    expect(new Set(models.map((m) => m.policy.name))).toEqual(new Set(POLICY_NAMES));
    expect(models.some((m) => m.exits.fromOutputs?.value === 'exit_logits.{i}')).toBe(true);
    expect(new Set(models.flatMap((m) => m.targets.map((t) => t.name)))).toEqual(
      new Set(['cpu', 'cuda', 'webgpu']),
    );
    expect(models.some((m) => m.sdk?.name?.value && m.calibration?.dataset)).toBe(true);
  });

  for (const f of files) {
    it(`${f} checks clean and is in canonical form`, () => {
      const source = read(f);
      const result = checkRamp(source, `${dir}${f}`);
      expect(result.diagnostics, formatDiagnostics(result.diagnostics)).toEqual([]);
      expect(formatRamp(source, f).text).toBe(source);
    });
  }

  // Every example links against its fixture (all have 6 layers of width 64).
  for (const f of files) {
    it.runIf(existsSync(fileURLToPath(new URL('../../fixtures/encoder/heads.safetensors', import.meta.url))))(
      `${f} links against its fixture`,
      async () => {
        const result = await checkFile(`${dir}${f}`);
        expect(result.diagnostics, formatDiagnostics(result.diagnostics)).toEqual([]);
        const linked = result.linked![0]!;
        expect(linked.layers.count).toBe(6);
        expect(linked.sizes.get('H')).toBe(64);
      },
    );
  }
});
