/**
 * Against PyTorch: the encoder fixture's early-exit model (same weights, same inputs, PABEE with the same
 * patience) run eagerly in Debian's PyTorch (`/usr/bin/python3`, as the papers' reference code runs it; the
 * model is fixtures/gen/model.py, driven by bench/pytorch_pabee.py) and Offramp's compiled model on
 * onnxruntime-node, at batch 1 and 8, one thread each, side by side in one run: the two alternate pass by pass
 * (order swapped every round) and the medians are compared. Each pass covers the first EXAMPLES eval passages.
 * Exits and predictions must be identical on both sides, or the bench fails.
 *
 * Run: node --import tsx bench/pytorch.bench.ts   (or npm run bench -- pytorch)
 * Env: BENCH_EXAMPLES (default 800), BENCH_ROUNDS (default 5).
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import * as ort from 'onnxruntime-node';
import { calibrate } from '../src/calibrate/index.js';
import { compile } from '../src/compiler/index.js';
import { CompiledModel, type HostTensor, type Manifest } from '../src/runtime/index.js';
import { loadEncoderFixture } from '../test/support/encoder-fixture.js';
import { printResults } from './results.js';

const ROOT = resolve(import.meta.dirname, '..');
/** Debian's interpreter with python3-torch; BENCH_PYTHON overrides it (e.g. to check the skip). */
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const EXAMPLES = Number(process.env.BENCH_EXAMPLES ?? 800);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCHES = [1, 8];

interface TorchReply {
  readonly ms: number;
  readonly exit_layers: number[];
  readonly predictions: number[];
}

/** bench/pytorch_pabee.py as a long-lived child: one JSON request per line, one JSON reply per line. */
class TorchSide {
  private readonly lines: AsyncIterator<string>;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(): Promise<{ side: TorchSide; ready: Record<string, unknown> }> {
    const child = spawn(PYTHON, [join(ROOT, 'bench/pytorch_pabee.py')], { stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const side = new TorchSide(child);
    const first = await side.lines.next();
    if (first.done) throw new Error(`bench/pytorch_pabee.py exited before it was ready:\n${stderr}`);
    return { side, ready: JSON.parse(first.value) };
  }

  async pass(request: Record<string, number | string>): Promise<TorchReply> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    const reply = await this.lines.next();
    if (reply.done) throw new Error('bench/pytorch_pabee.py exited');
    return JSON.parse(reply.value) as TorchReply;
  }

  stop(): void {
    this.child.stdin.end();
  }
}

const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`;
    console.log(
      `skipped: the PyTorch comparison needs Debian's python3-torch, and \`${PYTHON} -c 'import torch'\` failed (${why}).`,
    );
    return;
  }
  const f = loadEncoderFixture();
  const examples = Math.min(EXAMPLES, f.examples);
  const file = join(ROOT, 'dsl/examples/pabee.ramp');
  // The patience calibration picks at ≤ 1 % accuracy loss (bench/policies.bench.ts reports the same).
  const calibration = await calibrate({
    file,
    data: join(ROOT, 'fixtures/encoder/eval'),
    budget: 0.01,
    latency: false,
  });
  const patience = calibration.chosen!.setting.patience as number;
  const out = mkdtempSync(join(tmpdir(), 'offramp-bench-pytorch-'));
  const compiled = await compile({ file, outDir: out });
  const directory = compiled.artifacts[0]!.directory;
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as Manifest;
  const minExit = manifest.policy.minExit;
  const target = manifest.targets.find((t) => t.form === 'chain' && t.precision === 'fp32')!.target;
  const model = await CompiledModel.load(directory, {
    target,
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
  });
  const backbone = await ort.InferenceSession.create(join(ROOT, 'fixtures/encoder/backbone.onnx'), {
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  const { side: torch, ready } = await TorchSide.start();
  if (!(Number(ready.check) <= 1e-5))
    throw new Error(`the PyTorch stepped loop differs from model.py's forward by ${ready.check}`);

  const rows: string[] = [];
  try {
    for (const batch of BATCHES) {
      // Inputs built before any clock starts, on both sides.
      const feeds: Record<string, HostTensor>[] = [];
      const ortFeeds: Record<string, ort.Tensor>[] = [];
      for (let s = 0; s < examples; s += batch) {
        const n = Math.min(batch, examples - s);
        const slice = (a: BigInt64Array) => a.subarray(s * f.sequence, (s + n) * f.sequence);
        const dims = [n, f.sequence];
        feeds.push({
          input_ids: { elementType: 'int64', dims, data: slice(f.inputIds) },
          attention_mask: { elementType: 'int64', dims, data: slice(f.attentionMask) },
        });
        ortFeeds.push({
          input_ids: new ort.Tensor('int64', slice(f.inputIds), dims),
          attention_mask: new ort.Tensor('int64', slice(f.attentionMask), dims),
        });
      }
      const offramp = async () => {
        const exits: number[] = [];
        const predictions: number[] = [];
        const started = performance.now();
        for (const feed of feeds) {
          const r = await model.run(feed, { params: { patience } });
          exits.push(...r.exitLayer);
          predictions.push(...r.predictions);
        }
        return { ms: performance.now() - started, exits, predictions };
      };
      const ortBackbone = async () => {
        const started = performance.now();
        for (const feed of ortFeeds) await backbone.run(feed);
        return performance.now() - started;
      };
      const request = (mode: string) => ({ batch, examples, patience, min_exit: minExit, mode });
      // Warm-up, and the equivalence check: same exits, same predictions, sample by sample.
      const first = await offramp();
      const reference = await torch.pass(request('pabee'));
      await ortBackbone();
      await torch.pass(request('backbone'));
      const same = first.exits.every(
        (e, i) => e === reference.exit_layers[i] && first.predictions[i] === reference.predictions[i],
      );
      if (!same || reference.exit_layers.length !== examples)
        throw new Error(`batch ${batch}: PyTorch and Offramp disagree on exits or predictions`);
      const times = {
        torch: [] as number[],
        offramp: [] as number[],
        torchBb: [] as number[],
        ortBb: [] as number[],
      };
      for (let round = 0; round < ROUNDS; round++) {
        const steps = [
          async () => times.offramp.push((await offramp()).ms),
          async () => times.torch.push((await torch.pass(request('pabee'))).ms),
          async () => times.ortBb.push(await ortBackbone()),
          async () => times.torchBb.push((await torch.pass(request('backbone'))).ms),
        ];
        for (const step of round % 2 === 0 ? steps : [...steps].reverse()) await step();
      }
      const per = (ms: number) => `${(ms / examples).toFixed(3)} ms`;
      const meanExit = first.exits.reduce((a, b) => a + b, 0) / examples;
      const [t, o, tb, ob] = [times.torch, times.offramp, times.torchBb, times.ortBb].map(median) as [
        number,
        number,
        number,
        number,
      ];
      rows.push(
        `| ${batch} | PABEE, patience ${patience} (mean exit layer ${meanExit.toFixed(2)} / ${f.layers}) | ${per(t)} | ${per(o)} | **${(t / o).toFixed(2)}×** |`,
        `| ${batch} | backbone alone (no exits) | ${per(tb)} | ${per(ob)} | ${(tb / ob).toFixed(2)}× |`,
        `| ${batch} | early exit's own speed-up over its backbone | ${(tb / t).toFixed(2)}× | ${(ob / o).toFixed(2)}× | |`,
      );
      console.log(rows.slice(-3).join('\n'));
    }
  } finally {
    torch.stop();
    await model.release();
    await backbone.release();
    rmSync(out, { recursive: true, force: true });
  }
  printResults(
    [
      `### Against PyTorch (eager), PABEE on the encoder fixture`,
      '',
      `PyTorch ${ready.torch} (Debian python3-torch, \`torch.no_grad()\`, ${ready.threads} thread) running fixtures/gen/model.py with`,
      `the fixture's weights vs Offramp's compiled chain model on onnxruntime-node (CPU EP, 1 intra-op thread);`,
      `${examples} eval passages per pass, median of ${ROUNDS} passes each, the four passes of a round interleaved`,
      `(order reversed every other round). Per-sample exits at batch 8 on both sides (layers run until every`,
      `sample of the batch has exited); exits and predictions identical on both sides for every passage.`,
      '',
      '| batch | model | PyTorch eager, per example | Offramp (onnxruntime-node), per example | PyTorch ÷ Offramp |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
}

await main();
