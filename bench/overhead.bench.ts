/**
 * Compile overhead on a BERT-base-size model with the encoder fixture's structure (issue: compile early
 * exits). Side by side in one run, ONNX Runtime CPU, batch 1, sequence 128, medians of interleaved runs:
 *   1. nothing exits: the compiled model vs the original backbone;
 *   2. forced exit at layer k: the compiled model vs a model that computes only layers 1..k and heads 1..k;
 *   3. forced exit at every layer k: the speed-up over the backbone next to the ideal one, 12 / k.
 * Needs the model made by `/usr/bin/python3 bench/models/make_bert.py base` (or `small`).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeModel } from '../src/ir/index.js';
import { runChainPipeline } from '../src/passes/pipeline.js';
import type { CompilePlan } from '../src/passes/plan.js';
import { keepOnly } from '../src/passes/segments.js';
import { printResults } from './results.js';

const size = process.argv[2] ?? 'base';
const dir = resolve(import.meta.dirname, 'models', size);
if (!existsSync(join(dir, 'backbone.onnx'))) {
  console.error(`missing ${dir}/backbone.onnx: run /usr/bin/python3 bench/models/make_bert.py ${size}`);
  process.exit(1);
}
const LAYERS = 12;
const SEQ = 128;
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const scratch = mkdtempSync(join(tmpdir(), 'offramp-bench-'));

const plan = (minExit: number, exits: number[]): CompilePlan => ({
  name: 'bench',
  backbone: join(dir, 'backbone.onnx'),
  exits,
  head: {
    kind: 'weights',
    pool: 'cls',
    pooler: 'pabee.pooler.',
    classifier: { kind: 'linear', key: 'pabee.classifier.{i}.' },
    weightsFile: join(dir, 'heads.safetensors'),
  },
  policy: { kind: 'maxprob', parameters: {} },
  minExit,
});
const all = Array.from({ length: LAYERS }, (_, k) => k + 1);

async function save(name: string, bytes: Uint8Array): Promise<ort.InferenceSession> {
  const path = join(scratch, `${name}.onnx`);
  writeFileSync(path, bytes);
  return ort.InferenceSession.create(path, { intraOpNumThreads: 1, logSeverityLevel: 3 });
}

const ids = new ort.Tensor(
  'int64',
  BigInt64Array.from({ length: SEQ }, (_, k) => BigInt(k === 0 ? 1 : 3 + ((k * 7919) % 5000))),
  [1, SEQ],
);
const mask = new ort.Tensor('int64', new BigInt64Array(SEQ).fill(1n), [1, SEQ]);
const param = (v: number) => ({ 'offramp.threshold': new ort.Tensor('float32', Float32Array.of(v), []) });

/** Median wall time of each variant, runs interleaved so drift hits all of them alike. */
async function medians(
  variants: { session: ort.InferenceSession; feeds: Record<string, ort.Tensor> }[],
): Promise<number[]> {
  const times = variants.map(() => [] as number[]);
  for (const v of variants) await v.session.run({ input_ids: ids, attention_mask: mask, ...v.feeds }); // warm-up
  for (let r = 0; r < RUNS; r++) {
    for (const [k, v] of variants.entries()) {
      const t = performance.now();
      await v.session.run({ input_ids: ids, attention_mask: mask, ...v.feeds });
      times[k]!.push(performance.now() - t);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

const backbone = await ort.InferenceSession.create(join(dir, 'backbone.onnx'), {
  intraOpNumThreads: 1,
  logSeverityLevel: 3,
});
const compiled = await save('compiled', (await runChainPipeline(plan(1, all))).bytes!);
const [tBackbone, tNever] = await medians([
  { session: backbone, feeds: {} },
  { session: compiled, feeds: param(2) },
]);
const rows = [
  `| nothing exits | ${tNever!.toFixed(1)} ms | backbone ${tBackbone!.toFixed(1)} ms | ${(tNever! / tBackbone!).toFixed(3)} |`,
];
// Benchmark 1 of issue #8: a forced exit at every layer against the backbone, side by side, as a speed-up
// next to the ideal one (all layers / layers run).
const speedups: string[] = [];
for (let k = 1; k < LAYERS; k++) {
  const forced = await save(`forced${k}`, (await runChainPipeline(plan(k, all))).bytes!);
  const variants = [
    { session: backbone, feeds: {} },
    { session: forced, feeds: param(0) },
  ];
  let baseline: ort.InferenceSession | undefined;
  if (k % 3 === 0) {
    // The floor for an exit at k: the backbone cut after layer k with heads 1..k, no policy, no If.
    const partial = await runChainPipeline(plan(1, all.slice(0, k)), { stopAfter: 'insert-exit-heads' });
    keepOnly(
      partial.model!.graph,
      partial.exits.filter((e) => e.layer <= k).map((e) => e.logits),
    );
    baseline = await save(`baseline${k}`, writeModel(partial.model!));
    variants.push({ session: baseline, feeds: {} });
  }
  const [tFull, tForced, tBase] = await medians(variants);
  const measured = tFull! / tForced!;
  const ideal = LAYERS / k;
  speedups.push(
    `| ${k} | ${tForced!.toFixed(1)} ms | ${tFull!.toFixed(1)} ms | ${measured.toFixed(2)}× | ${ideal.toFixed(2)}× | ${(measured / ideal).toFixed(3)} |`,
  );
  if (baseline)
    rows.push(
      `| forced exit at layer ${k} | ${tForced!.toFixed(1)} ms | layers 1..${k} + heads ${tBase!.toFixed(1)} ms | ${(tForced! / tBase!).toFixed(3)} |`,
    );
  await forced.release();
  await baseline?.release();
}
rmSync(scratch, { recursive: true, force: true });
console.log(
  `\nBERT-${size} structure, ${LAYERS} layers, batch 1, sequence ${SEQ}, ORT CPU 1 thread, median of ${RUNS} interleaved runs\n`,
);
printResults(
  [
    `### Exit overhead and forced-exit speed-up (BERT-${size} structure)`,
    '',
    `${LAYERS} layers, max-prob exits after every layer (pooler + linear heads), chain form; batch 1, sequence ${SEQ},`,
    `onnxruntime-node CPU, 1 thread; medians of ${RUNS} runs, the variants of each row interleaved.`,
    '',
    '| case | compiled | reference | ratio |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    'Forced exit at layer k (threshold 0, `min_exit` k) against the backbone: measured speed-up vs the ideal',
    `${LAYERS}/k (the share of layers skipped).`,
    '',
    '| exit at layer k | compiled, forced exit | backbone | measured speed-up | ideal | measured ÷ ideal |',
    '| --- | --- | --- | --- | --- | --- |',
    ...speedups,
  ].join('\n'),
);
