/**
 * `offramp compile` for build pipelines: a config file listing several models, and `--watch`, both through
 * the real CLI in a child process.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../support/encoder-fixture.js';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'offramp-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const argv = (args: string[]) => [
  '--import',
  join(root, 'node_modules/tsx/dist/esm/index.mjs'),
  join(root, 'src/cli/main.ts'),
  ...args,
];

function offramp(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      argv(args),
      { cwd, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const ramp = (name: string, patience: number) => `model ${name} {
  backbone "${fixturePath('backbone.onnx')}" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..6 {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" { pooler: "pabee.pooler.", linear: "pabee.classifier.{i}." }
  }
  policy pabee { patience: ${patience} }
  target cpu
}
`;

describe('offramp compile with a config file', () => {
  it('builds every model the config lists, each into its own out directory', async () => {
    const dir = mkdtempSync(join(scratch, 'ok-'));
    writeFileSync(join(dir, 'a.ramp'), ramp('model_a', 2));
    writeFileSync(join(dir, 'b.ramp'), ramp('model_b', 3));
    writeFileSync(
      join(dir, 'offramp.config.json'),
      JSON.stringify({ models: [{ file: 'a.ramp' }, { file: 'b.ramp', outDir: 'build', targets: ['cpu'] }] }),
    );
    const r = await offramp(dir, 'compile', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.result.artifacts.map((a: { name: string }) => a.name)).toEqual(['model_a', 'model_b']);
    expect(existsSync(join(dir, 'out/model_a/model.onnx'))).toBe(true);
    expect(existsSync(join(dir, 'build/model_b/model.onnx'))).toBe(true);
  }, 60_000);

  it('reports a malformed config with OR7004 naming the file (exit 1), and no file and no config as usage (exit 2)', async () => {
    const dir = mkdtempSync(join(scratch, 'bad-'));
    writeFileSync(
      join(dir, 'offramp.config.json'),
      JSON.stringify({ models: [{ file: 'a.ramp', targets: ['tpu'] }] }),
    );
    const r = await offramp(dir, 'compile');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OR7004.*offramp\.config\.json.*targets must be a list of cpu, cuda, webgpu/);
    const none = await offramp(mkdtempSync(join(scratch, 'empty-')), 'compile');
    expect(none.code).toBe(2); // neither a file nor a config: a usage error
    expect(none.stderr).toMatch(/OR7004.*no \.ramp file was given/);
  }, 30_000);
});

describe('offramp compile --watch', () => {
  it('recompiles when the .ramp file changes and stops cleanly on SIGINT', async () => {
    const dir = mkdtempSync(join(scratch, 'watch-'));
    const file = join(dir, 'w.ramp');
    writeFileSync(file, ramp('watched', 2));
    const child = spawn(process.execPath, argv(['compile', file, '--watch']), {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    const seen = (pattern: RegExp, count: number) =>
      new Promise<void>((done, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`timed out waiting for ${pattern}: ${stdout}`)),
          40_000,
        );
        const check = () => {
          if ((stdout.match(pattern) ?? []).length >= count) {
            clearTimeout(timer);
            done();
          }
        };
        child.stdout.on('data', (d) => {
          stdout += String(d);
          check();
        });
        check();
      });
    await seen(/watching \d+ file/g, 1);
    writeFileSync(file, ramp('watched', 3));
    await seen(/compiled watched/g, 2);
    await seen(/watching \d+ file/g, 2);
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/watching 3 file/); // the .ramp file, the backbone and the weights
  }, 90_000);
});

describe('offramp bench', () => {
  it('times the compiled model and its backbone side by side and reports the exits (--json)', async () => {
    const dir = mkdtempSync(join(scratch, 'bench-'));
    writeFileSync(join(dir, 'b.ramp'), ramp('benched', 2));
    const data = fixturePath('eval');
    const r = await offramp(
      dir,
      'bench',
      'b.ramp',
      '--data',
      data,
      '--batch',
      '4',
      '--runs',
      '2',
      '--limit',
      '40',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const { result } = JSON.parse(r.stdout);
    expect(result).toMatchObject({ model: 'benched', examples: 40, batch: 4, runs: 2 });
    expect(result.exitHistogram.reduce((a: number, b: number) => a + b, 0)).toBe(40);
    expect(result.idealSpeedup).toBeCloseTo(6 / result.meanExitLayer, 6);
    expect(result.measuredSpeedup).toBeGreaterThan(0);
    expect(result.compiled.batchLatencyMs.p90).toBeGreaterThanOrEqual(result.compiled.batchLatencyMs.p50);
    const missing = await offramp(dir, 'bench', 'b.ramp', '--data', dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/OR7003.*no input_ids\.npy/);
  }, 60_000);
});

describe('offramp compile --timing', () => {
  it('prints a per-pass timing table to stderr', async () => {
    const dir = mkdtempSync(join(scratch, 'timing-'));
    writeFileSync(join(dir, 't.ramp'), ramp('timed', 2));
    const r = await offramp(dir, 'compile', 't.ramp', '--timing', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\/\/ pass timing/);
    for (const pass of [
      'discover-exit-layers',
      'insert-exit-heads',
      'insert-policy',
      'make-conditional',
      'total',
    ])
      expect(r.stderr).toContain(pass);
  }, 30_000);
});
