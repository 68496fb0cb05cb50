/**
 * The programmatic build API: `loadConfig` and `compileAll` report problems as diagnostics (with the config
 * file's path and OR7004) and never exit the process; real compiles on the encoder fixture.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileAll, loadConfig } from '../../src/index.js';
import { fixturePath } from '../support/encoder-fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'offramp-compile-all-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ramp = (name: string) => `model ${name} {
  backbone "${fixturePath('backbone.onnx')}" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..6 {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" { pooler: "pabee.pooler.", linear: "pabee.classifier.{i}." }
  }
  policy pabee { patience: 2 }
  target cpu
}
`;

describe('compileAll', () => {
  it('builds every model of a config object and of a config file, each model into its outDir', async () => {
    const dir = mkdtempSync(join(scratch, 'ok-'));
    writeFileSync(join(dir, 'a.ramp'), ramp('api_a'));
    writeFileSync(join(dir, 'b.ramp'), ramp('api_b'));
    const fromObject = await compileAll({
      models: [
        { file: join(dir, 'a.ramp'), outDir: join(dir, 'one') },
        { file: join(dir, 'b.ramp'), outDir: join(dir, 'two'), targets: ['cpu'] },
      ],
    });
    expect(fromObject.diagnostics).toEqual([]);
    expect(fromObject.artifacts.map((a) => a.directory)).toEqual([
      join(dir, 'one/api_a'),
      join(dir, 'two/api_b'),
    ]);
    expect(fromObject.artifacts[0]!.inputs).toEqual([
      join(dir, 'a.ramp'),
      fixturePath('backbone.onnx'),
      fixturePath('heads.safetensors'),
    ]);
    expect(existsSync(join(dir, 'two/api_b/model.onnx'))).toBe(true);

    writeFileSync(
      join(dir, 'offramp.config.json'),
      JSON.stringify({ models: [{ file: 'b.ramp', outDir: 'three' }] }),
    );
    const fromFile = await compileAll(join(dir, 'offramp.config.json'), { dryRun: true });
    expect(fromFile.diagnostics).toEqual([]);
    expect(fromFile.artifacts.map((a) => a.directory)).toEqual([join(dir, 'three/api_b')]);
    expect(existsSync(join(dir, 'three'))).toBe(false); // dry run: nothing written
  }, 60_000);

  it('returns diagnostics instead of exiting: a bad config, a missing .ramp file', async () => {
    const dir = mkdtempSync(join(scratch, 'bad-'));
    const path = join(dir, 'offramp.config.json');
    for (const [config, reason] of [
      ['[]', /must hold an object/],
      ['{ "models": [] }', /needs 'models': a non-empty list/],
      ['{ "model": [] }', /unknown key 'model'/],
      ['{ "models": [{ "file": 3 }] }', /models\[0\] needs 'file'/],
      ['{ "models": [{ "file": "a.ramp", "targets": "cpu" }] }', /models\[0\]\.targets must be a list/],
      ['{ "models": [', /cannot be read/],
    ] as const) {
      writeFileSync(path, config);
      const loaded = await loadConfig(path);
      expect(loaded.config).toBeUndefined();
      expect(loaded.diagnostics).toHaveLength(1);
      expect(loaded.diagnostics[0]).toMatchObject({ code: 'OR7004', severity: 'error' });
      expect(loaded.diagnostics[0]!.message).toContain(path);
      expect(loaded.diagnostics[0]!.message).toMatch(reason);
      const built = await compileAll(path);
      expect(built.artifacts).toEqual([]);
      expect(built.diagnostics.map((d) => d.code)).toEqual(['OR7004']);
    }
    writeFileSync(path, JSON.stringify({ models: [{ file: 'missing.ramp' }] }));
    const missing = await compileAll(path);
    expect(missing.artifacts).toEqual([]);
    expect(missing.diagnostics[0]).toMatchObject({ code: 'OR7001', severity: 'error' });
    expect(missing.diagnostics[0]!.message).toContain(join(dir, 'missing.ramp'));
  }, 30_000);
});
