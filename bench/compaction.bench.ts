/**
 * Segmented form with batch compaction vs the chain form (issue #7), side by side in one process: throughput
 * at batch 32 with a policy that spreads exits, and the segmented driver's own cost per exit check.
 *
 * Encoder fixture: max-prob on heads after every layer, at the threshold calibration picks for ≤ 1 % accuracy
 * loss and at 0.47 (the earlier figures' setting); the 800 eval passages in 25 batches of 32. Every batch runs
 * through both forms back to back (which goes first alternates), so both see the same machine state; ratios
 * are of the medians of whole passes, in wall time and in process CPU time (onnxruntime runs on this thread
 * with one intra-op thread, so CPU time is the work done, whatever other jobs take of the machine).
 *
 * Driver cost per exit check is the segmented call's wall time minus its time inside onnxruntime, per segment
 * run (the runtime's telemetry: mean and median over calls), and the same code timed on replayed segment
 * outputs with no onnxruntime in between (the driver's code alone, with warm caches).
 *
 * The BERT-base-size model (random weights) runs too when `bench/models/base/` exists
 * (`/usr/bin/python3 bench/models/make_bert.py base`); `BENCH_ONLY=fixture` skips it.
 * Run: node --import tsx bench/compaction.bench.ts   (BENCH_RUNS=passes, default 5)
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { calibrate } from '../src/calibrate/index.js';
import { compile } from '../src/compiler/index.js';
import { CompiledModel } from '../src/runtime/node-session.js';
import { SegmentedModel } from '../src/runtime/segmented-session.js';
import type { HostTensor } from '../src/runtime/tensors.js';
import { loadEncoderFixture } from '../test/support/encoder-fixture.js';
import { printResults } from './results.js';

const root = resolve(import.meta.dirname, '..');
const BATCH = 32;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

type Batch = Record<string, HostTensor>;

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function rampFor(backbone: string, heads: string, layers: number, policy: string): string {
  return `model bench {
  backbone "${backbone}" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..${layers} {
    pool cls
    head pooler + linear(classes: 4)
    weights "${heads}" { pooler: "pabee.pooler.", linear: "pabee.classifier.{i}." }
  }
  ${policy}
  target cpu { form: segmented }
}
`;
}

interface Measured {
  chainPerSecond: number;
  segmentedPerSecond: number;
  wallRatio: number;
  cpuRatio: number;
  driverMeanUs: number;
  driverMedianUs: number;
  histogram: readonly number[];
  meanExit: number;
}

/** Both forms over `batches`, RUNS passes, each batch through both forms back to back. */
async function sideBySide(
  chain: CompiledModel,
  segmented: SegmentedModel,
  batches: readonly Batch[],
  params: Record<string, number>,
): Promise<Measured> {
  for (const b of batches.slice(0, 2)) {
    await chain.run(b, { params });
    await segmented.run(b, { params });
  }
  const pass = { chain: [] as number[], segmented: [] as number[] };
  const cpu = { chain: [] as number[], segmented: [] as number[] };
  const driver: number[] = [];
  let driverSum = 0;
  let checks = 0;
  const histogram = new Array<number>(segmented.manifest.layers).fill(0);
  for (let r = 0; r < RUNS; r++) {
    let [chainMs, segMs, chainCpu, segCpu] = [0, 0, 0, 0];
    for (const [i, b] of batches.entries()) {
      const order = (r + i) % 2 === 0 ? ['chain', 'segmented'] : ['segmented', 'chain'];
      for (const form of order) {
        const c0 = cpuMs();
        if (form === 'chain') {
          const out = await chain.run(b, { params });
          chainCpu += cpuMs() - c0;
          chainMs += out.telemetry.wallMs;
        } else {
          const out = await segmented.run(b, { params });
          segCpu += cpuMs() - c0;
          segMs += out.telemetry.wallMs;
          const t = out.telemetry;
          const own = t.wallMs - t.modelMs!;
          driver.push((own * 1000) / t.checks!);
          driverSum += own;
          checks += t.checks!;
          if (r === 0) for (const layer of out.exitLayer) histogram[layer - 1]! += 1;
        }
      }
    }
    pass.chain.push(chainMs);
    pass.segmented.push(segMs);
    cpu.chain.push(chainCpu);
    cpu.segmented.push(segCpu);
  }
  const samples = batches.reduce((n, b) => n + Object.values(b)[0]!.dims[0]!, 0);
  const total = histogram.reduce((a, b) => a + b, 0);
  return {
    chainPerSecond: (samples * 1000) / median(pass.chain),
    segmentedPerSecond: (samples * 1000) / median(pass.segmented),
    wallRatio: median(pass.chain) / median(pass.segmented),
    cpuRatio: median(cpu.chain) / median(cpu.segmented),
    driverMeanUs: (driverSum * 1000) / checks,
    driverMedianUs: median(driver),
    histogram,
    meanExit: histogram.reduce((a, c, k) => a + c * (k + 1), 0) / total,
  };
}

/**
 * The driver's code alone: the segments' outputs for `batches` recorded once, then replayed (fresh copies, as
 * onnxruntime returns fresh arrays) in place of the sessions. Reaches into the model's private sessions.
 */
async function replayedDriverUs(
  segmented: SegmentedModel,
  batches: readonly Batch[],
  params: Record<string, number>,
): Promise<number> {
  type Runner = { run(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> };
  const model = segmented as unknown as { sessions: Runner[] };
  const real = model.sessions;
  const copy = (o: ort.InferenceSession.ReturnType) => {
    const out: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(o))
      out[name] = new (t.constructor as typeof ort.Tensor)(
        t.type as 'float32',
        (t.data as Float32Array).slice(),
        t.dims,
      );
    return out;
  };
  const recorded: ort.InferenceSession.ReturnType[][] = batches.map(() => []);
  let current = 0;
  model.sessions = real.map((s, k) => ({
    run: async (feeds) => {
      const out = await s.run(feeds);
      recorded[current]![k] = copy(out);
      return out;
    },
  }));
  for (current = 0; current < batches.length; current++) await segmented.run(batches[current]!, { params });
  model.sessions = real.map((_, k) => ({ run: async () => copy(recorded[current]![k]!) }));
  const perCheck: number[] = [];
  for (let r = 0; r < 20 * batches.length; r++) {
    current = r % batches.length;
    const t = (await segmented.run(batches[current]!, { params })).telemetry;
    if (r >= 2 * batches.length) perCheck.push(((t.wallMs - t.modelMs!) * 1000) / t.checks!);
  }
  model.sessions = real;
  return median(perCheck);
}

const scratch = mkdtempSync(join(tmpdir(), 'offramp-compaction-'));
const rows: string[] = [];
const row = (label: string, policy: string, m: Measured, replayUs?: number) =>
  `| ${label} | ${policy} | ${m.chainPerSecond.toFixed(1)} | ${m.segmentedPerSecond.toFixed(1)} | **${m.wallRatio.toFixed(2)}×** (${m.cpuRatio.toFixed(2)}× CPU) | ${m.driverMedianUs.toFixed(0)} µs (mean ${m.driverMeanUs.toFixed(0)})${replayUs !== undefined ? `; replayed ${replayUs.toFixed(0)} µs` : ''} | ${m.histogram.join(' ')} (mean ${m.meanExit.toFixed(2)}) |`;

try {
  // Encoder fixture.
  const f = loadEncoderFixture();
  const file = join(scratch, 'fixture.ramp');
  writeFileSync(
    file,
    rampFor(
      join(root, 'fixtures/encoder/backbone.onnx'),
      join(root, 'fixtures/encoder/heads.safetensors'),
      6,
      'policy maxprob { threshold: 0.47 }',
    ),
  );
  const compiled = await compile({ file, outDir: scratch });
  if (compiled.artifacts.length === 0) throw new Error(compiled.diagnostics.map((d) => d.message).join('\n'));
  const dir = compiled.artifacts[0]!.directory;
  const calibration = await calibrate({ file, data: join(root, 'fixtures/encoder/eval'), budget: 0.01 });
  const calibrated = (calibration.chosen?.setting as { threshold: number } | undefined)?.threshold;
  const t = f.sequence;
  const batches: Batch[] = [];
  for (let start = 0; start + BATCH <= f.examples; start += BATCH)
    batches.push({
      input_ids: {
        elementType: 'int64',
        dims: [BATCH, t],
        data: f.inputIds.slice(start * t, (start + BATCH) * t),
      },
      attention_mask: {
        elementType: 'int64',
        dims: [BATCH, t],
        data: f.attentionMask.slice(start * t, (start + BATCH) * t),
      },
    });
  const chain = await CompiledModel.load(dir, { intraOpNumThreads: 1 });
  const segmented = await SegmentedModel.load(dir, { intraOpNumThreads: 1 });
  const settings = [
    ...(calibrated !== undefined ? [[calibrated, '(calibrated, ≤ 1 % loss)'] as const] : []),
    [0.47, ''] as const,
  ];
  for (const [threshold, note] of settings) {
    const params = { threshold };
    const m = await sideBySide(chain, segmented, batches, params);
    const replay = await replayedDriverUs(segmented, batches.slice(0, 8), params);
    rows.push(
      row('encoder fixture (6 layers, H 64)', `maxprob ${threshold.toFixed(4)} ${note}`.trim(), m, replay),
    );
    console.log(rows.at(-1));
  }
  await chain.release();
  await segmented.release();

  // BERT-base structure with random weights (exits do not spread: PABEE patience 1 makes them).
  const base = join(root, 'bench/models/base');
  if (process.env.BENCH_ONLY !== 'fixture' && existsSync(join(base, 'backbone.onnx'))) {
    const bertFile = join(scratch, 'bert.ramp');
    writeFileSync(
      bertFile,
      rampFor(
        join(base, 'backbone.onnx'),
        join(base, 'heads.safetensors'),
        12,
        'policy pabee { patience: 1 }',
      ),
    );
    const result = await compile({ file: bertFile, outDir: join(scratch, 'bert') });
    if (result.artifacts.length === 0) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
    const bertDir = result.artifacts[0]!.directory;
    const sequence = 128;
    const bertBatches = [0, 1].map((seed) => {
      const ids = new BigInt64Array(BATCH * sequence);
      for (let i = 0; i < ids.length; i++)
        ids[i] = i % sequence === 0 ? 1n : BigInt(3 + ((i * 7919 + seed * 104729) % 3900));
      return {
        input_ids: { elementType: 'int64', dims: [BATCH, sequence], data: ids },
        attention_mask: {
          elementType: 'int64',
          dims: [BATCH, sequence],
          data: new BigInt64Array(BATCH * sequence).fill(1n),
        },
      } as Batch;
    });
    const bertChain = await CompiledModel.load(bertDir, { intraOpNumThreads: 1 });
    const bertSegmented = await SegmentedModel.load(bertDir, { intraOpNumThreads: 1 });
    const m = await sideBySide(bertChain, bertSegmented, bertBatches, { patience: 1 });
    rows.push(row('BERT-base structure (12 layers, random weights)', 'pabee, patience 1', m));
    console.log(rows.at(-1));
    await bertChain.release();
    await bertSegmented.release();
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

printResults(
  [
    '### Segmented form with batch compaction vs the chain form (batch 32)',
    '',
    `onnxruntime-node CPU, one intra-op thread, ${RUNS} passes per form, each batch through both forms back to back.`,
    'Ratio: median chain pass ÷ median segmented pass (wall; CPU time in brackets). Driver: wall time outside',
    'onnxruntime per exit check (median over calls, mean); "replayed": the same code on recorded segment outputs.',
    '',
    '| model | policy | chain (samples/s) | segmented + compaction (samples/s) | ratio | driver cost per exit check | exit histogram (first pass) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n'),
);
