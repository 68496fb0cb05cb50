/**
 * Segmented form with batch compaction vs the chain form (issue: runtime), side by side in one run:
 * throughput at batch 32 with a policy that spreads exits, and the driver's own overhead per exit check.
 * Runs on the bundled encoder fixture, and on the BERT-size model when `bench/models/<size>/` exists.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compile } from '../src/compiler/index.js';
import { CompiledModel } from '../src/runtime/node-session.js';
import { SegmentedModel } from '../src/runtime/segmented-session.js';
import type { HostTensor } from '../src/runtime/tensors.js';

const root = resolve(import.meta.dirname, '..');
const BATCH = 32;
const ROUNDS = Number(process.env.BENCH_RUNS ?? 10);

interface Case {
  readonly label: string;
  readonly backbone: string;
  readonly heads: string;
  readonly layers: number;
  readonly sequence: number;
  readonly threshold: number;
  /** Random weights are never confident: PABEE's patience spreads their exits instead. */
  readonly policy: string;
  readonly params: Readonly<Record<string, number>>;
}

const cases: Case[] = [
  {
    label: 'encoder fixture (6 layers, H 64)',
    backbone: join(root, 'fixtures/encoder/backbone.onnx'),
    heads: join(root, 'fixtures/encoder/heads.safetensors'),
    layers: 6,
    sequence: 64,
    threshold: 0.47,
    policy: 'policy maxprob { threshold: 0.47 }',
    params: { threshold: 0.47 },
  },
];
for (const size of ['small', 'base']) {
  const dir = join(root, 'bench/models', size);
  if (existsSync(join(dir, 'backbone.onnx'))) {
    cases.push({
      label: `BERT-${size} structure (12 layers, random weights)`,
      backbone: join(dir, 'backbone.onnx'),
      heads: join(dir, 'heads.safetensors'),
      layers: 12,
      sequence: 128,
      threshold: -1,
      policy: 'policy pabee { patience: 1 }',
      params: { patience: 1 },
    });
  }
}

function inputs(sequence: number, seed: number): Record<string, HostTensor> {
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
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'offramp-compaction-'));
const rows: string[] = [];
for (const c of cases) {
  const file = join(scratch, 'bench.ramp');
  writeFileSync(
    file,
    `model bench {
  backbone "${c.backbone}" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..${c.layers} {
    pool cls
    head pooler + linear(classes: 4)
    weights "${c.heads}" { pooler: "pabee.pooler.", linear: "pabee.classifier.{i}." }
  }
  ${c.policy}
  target cpu { form: segmented }
}
`,
  );
  const result = await compile({ file, outDir: scratch });
  if (result.artifacts.length === 0) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  const dir = join(scratch, 'bench');
  const chain = await CompiledModel.load(dir, { intraOpNumThreads: 1 });
  const segmented = await SegmentedModel.load(dir, { intraOpNumThreads: 1 });
  const params = c.params;
  let chainMs = 0;
  let segMs = 0;
  let samples = 0;
  let checks = 0;
  let driverMs = 0;
  let histogram: readonly number[] = [];
  await chain.run(inputs(c.sequence, 0), { params });
  await segmented.run(inputs(c.sequence, 0), { params });
  for (let r = 0; r < ROUNDS; r++) {
    const batch = inputs(c.sequence, r + 1);
    const a = await chain.run(batch, { params });
    const b = await segmented.run(batch, { params });
    chainMs += a.telemetry.wallMs;
    segMs += b.telemetry.wallMs;
    samples += BATCH;
    checks += b.telemetry.checks ?? 0;
    driverMs += b.telemetry.wallMs - (b.telemetry.modelMs ?? 0);
  }
  histogram = segmented.stats().exitHistogram;
  rows.push(
    `| ${c.label} | ${c.policy.replace(/^policy /, '')} | ${(samples / (chainMs / 1000)).toFixed(1)} | ${(samples / (segMs / 1000)).toFixed(1)} | ${(chainMs / segMs).toFixed(2)}x | ${((driverMs / checks) * 1000).toFixed(0)} µs | ${histogram.join(' ')} |`,
  );
  await chain.release();
  await segmented.release();
}
rmSync(scratch, { recursive: true, force: true });
console.log(
  `\nbatch ${BATCH}, ORT CPU 1 thread, ${ROUNDS} batches per model, both forms on the same batches\n`,
);
console.log(
  '| model | policy | chain (samples/s) | segmented + compaction (samples/s) | ratio | driver cost per exit check | exit histogram |\n|---|---|---|---|---|---|---|',
);
console.log(rows.join('\n'));
