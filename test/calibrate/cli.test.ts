import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'offramp-calibrate-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The real CLI in a child process (asynchronously, so the test worker keeps answering vitest). */
function offramp(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = ['--import', join(root, 'node_modules/tsx/dist/esm/index.mjs'), join(root, 'src/cli/main.ts')];
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...argv, ...args],
      { cwd: scratch, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const ramp = `
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
  policy pabee { patience: 5 }
  target cpu
}
`;

describe('offramp calibrate', () => {
  it('calibrates from JSONL, certifies with --delta, writes the report and the artifact defaults', async () => {
    const file = join(scratch, 'pabee.ramp');
    writeFileSync(file, ramp);
    const f = loadEncoderFixture();
    const jsonl = join(scratch, 'eval.jsonl');
    writeFileSync(
      jsonl,
      Array.from({ length: f.examples }, (_, k) =>
        JSON.stringify({
          input_ids: Array.from(f.inputIds.subarray(k * f.sequence, (k + 1) * f.sequence), Number),
          label: Number(f.labels[k]),
        }),
      ).join('\n'),
    );
    expect((await offramp('compile', file, '--out', 'out')).code).toBe(0);
    const artifact = join(scratch, 'out/encoder_pabee');
    const args = ['calibrate', file, '--data', jsonl, '--budget', '2%', '--delta', '0.05'];

    const json = await offramp('--json', ...args, '--artifact', artifact, '--report', 'report');
    expect(json.code, json.stderr).toBe(0);
    const { ok, result } = JSON.parse(json.stdout);
    expect(ok).toBe(true);
    expect(result.qualityKind).toBe('accuracy');
    expect(result.latency.segments).toHaveLength(6);
    const certified = result.riskControl.chosen.setting.patience;
    expect(certified).toBeGreaterThanOrEqual(result.chosen.setting.patience);
    // --delta puts the certified setting, not the empirical one, into the artifact.
    const manifest = JSON.parse(readFileSync(join(artifact, 'manifest.json'), 'utf8'));
    expect(manifest.policy.parameters.find((p: { name: string }) => p.name === 'patience').default).toBe(
      certified,
    );
    for (const name of ['calibration.md', 'calibration.html', 'tradeoff.svg', 'tradeoff-latency.svg'])
      expect(existsSync(join(scratch, 'report', name)), name).toBe(true);
    const md = readFileSync(join(scratch, 'report/calibration.md'), 'utf8');
    expect(md).toMatch(/\| segment \| latency \| FLOPs \| cumulative latency \|/);
    expect(md).toMatch(/\*\*With a guarantee \(δ = 0\.05\):\*\* patience \d/);

    const text = await offramp(...args);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/mean latency \| mean FLOPs \| speed-up vs backbone/);
  }, 120_000);

  it("takes the data and the budget from the model's calibration block; flags override it", async () => {
    const file = join(scratch, 'declared.ramp');
    const evalDir = fixturePath('eval');
    writeFileSync(
      file,
      ramp.replace(
        '  target cpu\n',
        `  target cpu\n  calibration { dataset: "${evalDir}", accuracy_budget: 0.02 }\n`,
      ),
    );
    const declared = await offramp('calibrate', file, '--json');
    expect(declared.code, declared.stderr).toBe(0);
    const summary = JSON.parse(declared.stdout).result;
    expect(summary.data).toBe(evalDir);
    expect(summary.budget).toBe(0.02);
    expect(summary.qualityKind).toBe('accuracy');
    // The chosen setting is the cheapest within 2 points of the full model, so within the declared budget.
    expect(summary.reference - summary.chosen.quality).toBeLessThanOrEqual(0.02 + 1e-12);

    const overridden = await offramp('calibrate', file, '--budget', '0.5%', '--json');
    expect(overridden.code, overridden.stderr).toBe(0);
    const tight = JSON.parse(overridden.stdout).result;
    expect(tight.budget).toBe(0.005);
    expect(tight.reference - tight.chosen.quality).toBeLessThanOrEqual(0.005 + 1e-12);
    expect(tight.chosen.meanExitLayer).toBeGreaterThanOrEqual(summary.chosen.meanExitLayer);

    // No block and no --data: a diagnostic that says what to give, not a crash.
    const bare = join(scratch, 'bare.ramp');
    writeFileSync(bare, ramp);
    const missing = await offramp('calibrate', bare);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /OR7003.*no calibration \{ dataset: \.\.\. \}: give the data with --data/s,
    );
    // At the model's declaration in the .ramp file (line 2 of the source, which starts with a newline).
    expect(missing.stderr).toMatch(/bare\.ramp:2:7/);
  }, 180_000);

  it('calibrates every model of a file, compares them in one report and updates each artifact', async () => {
    const file = join(scratch, 'two.ramp');
    const second = ramp
      .replace('model encoder_pabee', 'model encoder_maxprob')
      .replace('policy pabee { patience: 5 }', 'policy maxprob { threshold: 0.9 }');
    writeFileSync(file, `${ramp}\n${second}`);
    expect((await offramp('compile', file, '--out', 'two-out')).code).toBe(0);
    const run = await offramp(
      'calibrate',
      file,
      '--data',
      fixturePath('eval'),
      '--artifact',
      'two-out',
      '--report',
      'two-report',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const { result } = JSON.parse(run.stdout);
    expect(result.models.map((m: { policy: string }) => m.policy)).toEqual(['pabee', 'maxprob']);
    expect(result.policy).toBe('pabee');
    for (const m of result.models) {
      const manifest = JSON.parse(readFileSync(join(scratch, 'two-out', m.model, 'manifest.json'), 'utf8'));
      const name = m.policy === 'pabee' ? 'patience' : 'threshold';
      const param = manifest.policy.parameters.find((p: { name: string }) => p.name === name);
      expect(param.default).toBe(m.chosen.setting[name]);
    }
    const report = join(scratch, 'two-report');
    const chart = readFileSync(join(report, 'tradeoff.svg'), 'utf8');
    expect(chart.match(/class="series"/g)).toHaveLength(2);
    for (const m of ['encoder_pabee', 'encoder_maxprob'])
      expect(existsSync(join(report, `tradeoff-${m}.svg`))).toBe(true);
    expect(readFileSync(join(report, 'calibration.md'), 'utf8')).toMatch(
      /\| maxprob \(encoder_maxprob\) \| threshold /,
    );
  }, 180_000);

  it('refuses a --delta outside (0, 1) as a usage error', async () => {
    const bad = await offramp('calibrate', 'x.ramp', '--data', 'd', '--delta', '1.5');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--delta is a probability strictly between 0 and 1/);
  });
});
