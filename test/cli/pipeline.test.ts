/**
 * `offramp compile` for build pipelines: a config file listing several models, and `--watch`, both through
 * the real CLI in a child process.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** A child's stdout, and a wait (40 s at most) until a pattern has appeared `count` times. */
function output(child: ReturnType<typeof spawn>) {
  let stdout = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d) => {
    stdout += String(d);
    for (const w of waiters) w();
  });
  return {
    text: () => stdout,
    until: (pattern: RegExp, count: number) =>
      new Promise<void>((done, fail) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`timed out waiting for ${pattern} x${count}: ${stdout}`));
        }, 40_000);
        const check = () => {
          if ((stdout.match(pattern) ?? []).length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            done();
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

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

describe('offramp compile with a config module', () => {
  it('takes --config PATH to an .mjs file exporting the config (paths relative to it)', async () => {
    const dir = mkdtempSync(join(scratch, 'mjs-'));
    writeFileSync(join(dir, 'm.ramp'), ramp('model_m', 2));
    writeFileSync(
      join(dir, 'pipeline.config.mjs'),
      "export default { models: [{ file: 'm.ramp', outDir: 'dist-models', targets: ['cpu'] }] };\n",
    );
    const elsewhere = mkdtempSync(join(scratch, 'cwd-'));
    const r = await offramp(elsewhere, 'compile', '--config', join(dir, 'pipeline.config.mjs'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/compiled model_m -> .*dist-models/);
    expect(existsSync(join(dir, 'dist-models/model_m/manifest.json'))).toBe(true);
  }, 60_000);

  it('names a misspelt key, and a module that throws, with OR7004 and the config path', async () => {
    const dir = mkdtempSync(join(scratch, 'typo-'));
    writeFileSync(
      join(dir, 'offramp.config.json'),
      JSON.stringify({ models: [{ file: 'a.ramp', outdir: 'x' }] }),
    );
    const typo = await offramp(dir, 'compile', '--json');
    expect(typo.code).toBe(1);
    const envelope = JSON.parse(typo.stdout);
    expect(envelope.ok).toBe(false);
    expect(envelope.diagnostics[0].code).toBe('OR7004');
    expect(envelope.diagnostics[0].message).toMatch(/offramp\.config\.json.*unknown key 'outdir'/);
    writeFileSync(join(dir, 'broken.config.mjs'), "throw new Error('boom');\n");
    const broken = await offramp(dir, 'compile', '--config', 'broken.config.mjs');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/OR7004.*broken\.config\.mjs.*cannot be read: boom/);
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

  it('with a config file, recompiles when a weights file a model reads changes', async () => {
    const dir = mkdtempSync(join(scratch, 'watch-config-'));
    const weights = join(dir, 'heads.safetensors');
    copyFileSync(fixturePath('heads.safetensors'), weights);
    writeFileSync(
      join(dir, 'c.ramp'),
      ramp('configured', 2).replace(fixturePath('heads.safetensors'), weights),
    );
    writeFileSync(join(dir, 'offramp.config.json'), JSON.stringify({ models: [{ file: 'c.ramp' }] }));
    const child = spawn(process.execPath, argv(['compile', '--watch']), {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
    });
    const lines = output(child);
    await lines.until(/watching \d+ file/g, 1);
    expect(lines.text()).toMatch(/watching 4 file/); // the config, the .ramp file, the backbone, the weights
    copyFileSync(fixturePath('heads.safetensors'), weights); // same bytes, a new write
    await lines.until(/compiled configured/g, 2);
    await lines.until(/watching \d+ file/g, 2);
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});

describe('offramp bench', () => {
  it('compiles a .ramp file, times it and its backbone side by side and reports the exits (--json)', async () => {
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
    expect(r.stderr).toBe(''); // no progress bar outside a terminal
    const { result } = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      model: 'benched',
      target: 'cpu',
      form: 'chain',
      examples: 40,
      batch: 4,
      runs: 2,
    });
    expect(result.exitHistogram.reduce((a: number, b: number) => a + b, 0)).toBe(40);
    expect(result.exitHistogram.slice(0, 2)).toEqual([0, 0]); // patience 2 cannot exit before layer 3
    expect(result.idealSpeedup).toBeCloseTo(6 / result.meanExitLayer, 6);
    expect(result.measuredSpeedup).toBeGreaterThan(0);
    expect(result.efficiency).toBeCloseTo(result.measuredSpeedup / result.idealSpeedup, 6);
    expect(result.compiled.batchLatencyMs.p90).toBeGreaterThanOrEqual(result.compiled.batchLatencyMs.p50);
    expect(result.backbone.batchLatencyMs.p99).toBeGreaterThanOrEqual(result.backbone.batchLatencyMs.p50);
    expect(result.backbone.file).toBe(fixturePath('backbone.onnx'));
  }, 60_000);

  it('takes a compiled artifact, runs its segmented form, finds the backbone by its hash, and prints a report', async () => {
    const dir = mkdtempSync(join(scratch, 'bench-seg-'));
    writeFileSync(
      join(dir, 's.ramp'),
      ramp('segbench', 2)
        .replace('policy pabee { patience: 2 }', 'policy maxprob { threshold: 0.47 }')
        .replace('target cpu', 'target cpu { form: segmented }'),
    );
    expect((await offramp(dir, 'compile', 's.ramp', '--out', 'art')).code).toBe(0);
    const json = await offramp(
      dir,
      'bench',
      'art/segbench',
      '--data',
      fixturePath('eval'),
      '--batch',
      '16',
      '--runs',
      '1',
      '--limit',
      '64',
      '--param',
      'threshold=0.4',
      '--json',
    );
    expect(json.code, json.stderr).toBe(0);
    const { result } = JSON.parse(json.stdout);
    expect(result).toMatchObject({ form: 'segmented', params: { threshold: 0.4 }, examples: 64 });
    expect(result.compiled.driverUsPerExitCheck).toBeGreaterThan(0);
    expect(result.backbone.file).toBe(fixturePath('backbone.onnx'));
    // The same exits as the chain form of the same artifact at the same setting.
    const chain = await offramp(
      dir,
      'bench',
      'art/segbench',
      '--form',
      'chain',
      '--data',
      fixturePath('eval'),
      '--batch',
      '16',
      '--runs',
      '1',
      '--limit',
      '64',
      '--param',
      'threshold=0.4',
      '--json',
    );
    expect(chain.code, chain.stderr).toBe(0);
    expect(JSON.parse(chain.stdout).result.exitHistogram).toEqual(result.exitHistogram);
    // `offramp run` opens the artifact the same way: the segmented form the .ramp file asked for.
    const run = await offramp(
      dir,
      'run',
      'art/segbench',
      '--data',
      fixturePath('eval'),
      '--batch',
      '16',
      '--limit',
      '64',
      '--param',
      'threshold=0.4',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).result).toMatchObject({
      form: 'segmented',
      exitHistogram: result.exitHistogram,
    });
    const text = await offramp(
      dir,
      'bench',
      'art/segbench',
      '--data',
      fixturePath('eval'),
      '--runs',
      '1',
      '--limit',
      '8',
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /segbench \(cpu, segmented form, policy maxprob, defaults\): 8 examples, batch 1/,
    );
    expect(text.stdout).toMatch(/exit histogram +L1:\d+ +L2:\d+/);
    expect(text.stdout).toMatch(/speed-up +\d+\.\d\dx measured, \d+\.\d\dx ideal/);
    expect(text.stdout).toMatch(/driver overhead +\d+ µs per exit check/);
  }, 90_000);

  it.skipIf(spawnSync('script', ['--version']).status !== 0)(
    'shows a progress bar on a terminal, and none when CI is set',
    async () => {
      const dir = mkdtempSync(join(scratch, 'bench-tty-'));
      writeFileSync(join(dir, 'b.ramp'), ramp('benched', 2));
      const command = [
        process.execPath,
        ...argv(['bench', 'b.ramp', '--data', fixturePath('eval'), '--runs', '1', '--limit', '16']),
      ]
        .map((a) => `'${a}'`)
        .join(' ');
      // `script` runs the command on a pseudo-terminal and copies what it prints (stdout and stderr).
      const onTerminal = (env: NodeJS.ProcessEnv) =>
        new Promise<string>((done) => {
          execFile('script', ['-qec', command, '/dev/null'], { cwd: dir, env }, (_error, stdout) =>
            done(stdout),
          );
        });
      const { CI: _ci, ...noCi } = process.env;
      const interactive = await onTerminal({ ...noCi, NO_COLOR: '1' });
      expect(interactive).toMatch(/benchmarking \[/);
      expect(interactive).toMatch(/speed-up +\d/);
      const ci = await onTerminal({ ...noCi, NO_COLOR: '1', CI: '1' });
      expect(ci).toMatch(/speed-up +\d/);
      expect(ci).not.toMatch(/benchmarking \[/);
    },
    60_000,
  );

  it('exits 1 on bad input and 2 on a bad command line', async () => {
    const dir = mkdtempSync(join(scratch, 'bench-bad-'));
    writeFileSync(join(dir, 'b.ramp'), ramp('benched', 2));
    const missing = await offramp(dir, 'bench', 'b.ramp', '--data', dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/OR7003.*no input_ids\.npy/);
    const noFile = await offramp(dir, 'bench', 'nope.ramp', '--data', fixturePath('eval'));
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/OR7001.*nope\.ramp/);
    const notArtifact = await offramp(dir, 'bench', dir, '--data', fixturePath('eval'), '--json');
    expect(notArtifact.code).toBe(1);
    expect(JSON.parse(notArtifact.stdout).diagnostics[0].code).toBe('OR7005');
    const noTarget = await offramp(
      dir,
      'bench',
      'b.ramp',
      '--data',
      fixturePath('eval'),
      '--target',
      'webgpu',
    );
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toMatch(/OR7005.*no 'webgpu' target/);
    for (const args of [
      ['--batch', '0'],
      ['--runs', 'many'],
      ['--target', 'tpu'],
      ['--form', 'flat'],
    ]) {
      const r = await offramp(dir, 'bench', 'b.ramp', '--data', fixturePath('eval'), ...args);
      expect(r.code, args.join(' ')).toBe(2);
    }
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
