import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../support/encoder-fixture.js';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'offramp-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the CLI in a child process, asynchronously: a blocked test worker would miss vitest's RPC deadline. */
function offramp(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = [
    '--import',
    join(root, 'node_modules/tsx/dist/esm/index.mjs'),
    join(root, 'src/cli/main.ts'),
    ...args,
  ];
  return new Promise((done) => {
    execFile(
      process.execPath,
      argv,
      { cwd: scratch, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

function rampFile(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, body);
  return path;
}

const pabee = (policy = 'policy pabee { patience: 2 }') => `
model encoder_pabee {
  backbone "${fixturePath('backbone.onnx')}" {
    layers "/bert/encoder/layer.{i}/"
  }
  exits after 1..6 {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" {
      pooler: "pabee.pooler.",
      linear: "pabee.classifier.{i}."
    }
  }
  ${policy}
  target cpu
}
`;

describe('offramp CLI', () => {
  it('compiles, and identical inputs give byte-identical outputs', async () => {
    const file = rampFile('a.ramp', pabee());
    const first = await offramp('compile', file, '--out', 'out1');
    expect(first.code, first.stderr).toBe(0);
    const second = await offramp('compile', file, '--out', 'out2');
    expect(second.code).toBe(0);
    for (const f of ['model.onnx', 'manifest.json', 'report.md']) {
      expect(readFileSync(join(scratch, 'out1/encoder_pabee', f))).toEqual(
        readFileSync(join(scratch, 'out2/encoder_pabee', f)),
      );
    }
    const manifest = JSON.parse(readFileSync(join(scratch, 'out1/encoder_pabee/manifest.json'), 'utf8'));
    expect(manifest.policy.parameters[0]).toMatchObject({
      name: 'patience',
      input: 'offramp.patience',
      default: 2,
    });
    expect(manifest.exits).toEqual([1, 2, 3, 4, 5, 6]);
    expect(JSON.stringify(manifest)).not.toContain(scratch);
  });

  it('runs a compiled artifact and reports accuracy, exits and speed-up as JSON', async () => {
    const file = rampFile('b.ramp', pabee());
    expect((await offramp('compile', file, '--out', 'outb')).code).toBe(0);
    const run = await offramp(
      '--json',
      'run',
      'outb/encoder_pabee',
      '--data',
      fixturePath('eval'),
      '--batch',
      '8',
      '--limit',
      '64',
      '--param',
      'patience=3',
    );
    expect(run.code, run.stderr).toBe(0);
    const envelope = JSON.parse(run.stdout);
    expect(envelope.ok).toBe(true);
    expect(envelope.result.examples).toBe(64);
    expect(envelope.result.exitHistogram.slice(0, 3)).toEqual([0, 0, 0]); // patience 3 cannot exit before layer 4
    expect(envelope.result.accuracy).toBeGreaterThan(0.4);
  });

  it('reports bad input with a code, file:line:column and exit code 1, and writes nothing', async () => {
    const file = rampFile('bad.ramp', pabee('policy pabee { patience: -1 }'));
    const r = await offramp('compile', file, '--out', 'outbad');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.ramp:\d+:\d+: error OR\d{4}/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(spawnSync('ls', [join(scratch, 'outbad')]).status).not.toBe(0);
  });

  it('gives JSON diagnostics with spans under --json', async () => {
    const file = rampFile('bad2.ramp', pabee().replace('pabee.classifier.{i}.', 'pabee.clasifier.{i}.'));
    const r = await offramp('--json', 'compile', file, '--out', 'outbad2');
    expect(r.code).toBe(1);
    const envelope = JSON.parse(r.stdout);
    expect(envelope.ok).toBe(false);
    expect(envelope.diagnostics[0].code).toMatch(/^OR3\d{3}$/);
  });

  it('refuses to overwrite an input', async () => {
    const backbone = join(scratch, 'encoder_pabee', 'model.onnx');
    rmSync(join(scratch, 'encoder_pabee'), { recursive: true, force: true });
    spawnSync('mkdir', ['-p', join(scratch, 'encoder_pabee')]);
    copyFileSync(fixturePath('backbone.onnx'), backbone);
    const before = readFileSync(backbone);
    const file = rampFile('self.ramp', pabee().replace(fixturePath('backbone.onnx'), backbone));
    const r = await offramp('compile', file, '--out', scratch);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('OR7002');
    expect(readFileSync(backbone)).toEqual(before);
  });

  it('exits 2 on usage errors and prints the version', async () => {
    expect((await offramp('compile')).code).toBe(2);
    expect((await offramp('frobnicate')).code).toBe(2);
    const v = await offramp('--version');
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('inspects a model and finds its layers', async () => {
    const r = await offramp('--json', 'inspect', fixturePath('backbone.onnx'));
    expect(r.code).toBe(0);
    const { result } = JSON.parse(r.stdout);
    expect(result.layers).toHaveLength(6);
    expect(result.layers[5].cut.name).toContain('/bert/encoder/layer.5/');
    expect(result.layers[0].flops).toBeGreaterThan(0);
    expect(result.parameters).toBeGreaterThan(0);
  });

  it('checks a file and formats it canonically, with --check for CI', async () => {
    const file = rampFile(
      'fmt.ramp',
      pabee().replace('policy pabee { patience: 2 }', 'policy   pabee {patience:2}   # keep me'),
    );
    expect((await offramp('check', file)).code).toBe(0);
    const before = readFileSync(file, 'utf8');
    const checked = await offramp('fmt', '--check', file);
    expect(checked.code).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect((await offramp('fmt', file)).code).toBe(0);
    const after = readFileSync(file, 'utf8');
    expect(after).toContain('# keep me');
    expect(after).toContain('policy pabee { patience: 2 }');
    expect((await offramp('fmt', '--check', file)).code).toBe(0);
  });
});
