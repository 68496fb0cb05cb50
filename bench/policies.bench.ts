/**
 * Per policy on the encoder fixture: calibrate to ≤ 1% accuracy loss, compile, and run the compiled model with
 * the chosen setting and the backbone side by side on the 800 eval passages (batch 1, CPU, one thread).
 * Reports the chosen setting, accuracy against the backbone, the ideal (layers / mean exit layer) and the
 * measured speed-up, beside what calibration predicted: FLOPs and its measured per-segment latency model
 * (segmented form). Anchor: PABEE reports 1.57× on GLUE with ALBERT-base (a model 12× deeper and wider).
 * Run: node --import tsx bench/policies.bench.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { calibrate } from '../src/calibrate/index.js';
import { compile } from '../src/compiler/index.js';
import { CompiledModel, int64Tensor, type Manifest } from '../src/runtime/index.js';
import { loadEncoderFixture } from '../test/support/encoder-fixture.js';
import { printResults } from './results.js';

const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLES = ['pabee', 'qexit', 'jei', 'maxprob', 'entropy', 'margin'];
const BUDGET = 0.01;
const REPEATS = 3;

async function main(): Promise<void> {
  const f = loadEncoderFixture();
  const out = mkdtempSync(join(tmpdir(), 'offramp-bench-policies-'));
  const backbone = await ort.InferenceSession.create(join(ROOT, 'fixtures/encoder/backbone.onnx'), {
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  const row = (k: number) => ({
    input_ids: int64Tensor(f.inputIds.subarray(k * f.sequence, (k + 1) * f.sequence), [1, f.sequence]),
    attention_mask: int64Tensor(f.attentionMask.subarray(k * f.sequence, (k + 1) * f.sequence), [
      1,
      f.sequence,
    ]),
  });
  const lines = [
    '| policy | chosen setting (≤ 1% loss) | accuracy (backbone) | mean exit layer | ideal (layers) | FLOPs | latency model (segmented) | measured (chain) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  try {
    for (const name of EXAMPLES) {
      const file = join(ROOT, 'dsl/examples', `${name}.ramp`);
      const calibration = await calibrate({
        file,
        data: join(ROOT, 'fixtures/encoder/eval'),
        budget: BUDGET,
      });
      const chosen = calibration.chosen;
      if (!chosen) {
        lines.push(`| ${name} | none within the budget | | | | | | |`);
        continue;
      }
      const compiled = await compile({ file, outDir: out });
      const directory = compiled.artifacts[0]!.directory;
      // Whatever target the example declares, its fp32 chain model on the CPU EP.
      const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as Manifest;
      const target = manifest.targets.find((t) => t.form === 'chain' && t.precision === 'fp32')!.target;
      const model = await CompiledModel.load(directory, {
        target,
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
      });
      const params = chosen.setting as Record<string, number>;
      let best = { compiled: Number.POSITIVE_INFINITY, backbone: Number.POSITIVE_INFINITY };
      let correct = 0;
      let depth = 0;
      for (let r = 0; r < REPEATS; r++) {
        let t = performance.now();
        for (let k = 0; k < f.examples; k++) {
          const result = await model.run(row(k), { params, seed: k });
          if (r === 0) {
            correct += result.predictions[0] === Number(f.labels[k]) ? 1 : 0;
            depth += result.exitLayer[0]!;
          }
        }
        const compiledMs = performance.now() - t;
        t = performance.now();
        for (let k = 0; k < f.examples; k++) {
          const feeds = row(k);
          await backbone.run({
            input_ids: new ort.Tensor('int64', feeds.input_ids.data as BigInt64Array, [1, f.sequence]),
            attention_mask: new ort.Tensor('int64', feeds.attention_mask.data as BigInt64Array, [
              1,
              f.sequence,
            ]),
          });
        }
        const backboneMs = performance.now() - t;
        best = {
          compiled: Math.min(best.compiled, compiledMs),
          backbone: Math.min(best.backbone, backboneMs),
        };
      }
      await model.release();
      const meanExit = depth / f.examples;
      const latency = calibration.latency;
      const predicted = (ratio: (l: NonNullable<typeof latency>) => number) =>
        latency ? `${ratio(latency).toFixed(2)}×` : 'n/a';
      const setting = Object.entries(params)
        .map(([k, v]) => {
          const values = (typeof v === 'number' ? [v] : (v as number[])).map((x) => Number(x.toFixed(4)));
          return `${k} ${new Set(values).size === 1 ? values[0] : `[${values.join(', ')}]`}`;
        })
        .join(', ');
      lines.push(
        `| ${name} | ${setting} | ${((correct / f.examples) * 100).toFixed(2)}% (${(calibration.reference! * 100).toFixed(2)}%) | ${meanExit.toFixed(2)} / ${f.layers} | ${(f.layers / meanExit).toFixed(2)}× | ${predicted((l) => l.backboneFlops / chosen.meanFlops!)} | ${predicted((l) => l.backboneMs / chosen.meanLatencyMs!)} | ${(best.backbone / best.compiled).toFixed(2)}× |`,
      );
      console.log(lines.at(-1));
    }
  } finally {
    await backbone.release();
    rmSync(out, { recursive: true, force: true });
  }
  printResults(
    [
      '### Per policy on the encoder fixture, after calibration to ≤ 1 % accuracy loss',
      '',
      `Calibrated on the 800 eval passages; then the compiled chain model with the chosen setting vs the backbone,`,
      `batch 1, onnxruntime-node CPU, one thread, best of ${REPEATS} passes each, side by side. "FLOPs" and "latency`,
      `model" are calibration's predictions (backbone ÷ chosen setting): FLOPs counted per segment, latency from`,
      `each segment of the segmented form timed on this machine. Anchor: PABEE reports 1.57× on GLUE with`,
      `ALBERT-base.`,
      '',
      ...lines,
    ].join('\n'),
  );
}

await main();
