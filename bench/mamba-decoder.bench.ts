/**
 * Token-level early exit on the Mamba LM fixture (fixtures/mamba-lm, dsl/examples/mamba-decoder.ramp), side
 * by side in one process:
 * 1. greedy generation with the compiled step (max-prob, per threshold and skipped-block state strategy:
 *    keep, update) against the backbone's own greedy generation (decoder.onnx driven by the same loop):
 *    tokens/s of each and their ratio, token agreement with the backbone, mean exit layer; the fastest
 *    setting at ≥ 95 % agreement per strategy;
 * 2. what `update` costs per skipped block against running a block: forced exits (τ 0) after block 1 and
 *    after block 5 under keep and under update, single-exit models, decode steps timed in interleaved rounds;
 *    and what update's per-sample path costs when nothing exits (τ 1).
 * Run: node --import tsx bench/mamba-decoder.bench.ts (or npm run bench -- mamba-decoder, which writes
 * bench/results.md).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile } from '../src/compiler/index.js';
import { formatDiagnostics } from '../src/diagnostics/index.js';
import { parseNpy } from '../src/io/index.js';
import { DecoderModel } from '../src/runtime/index.js';
import { printResults } from './results.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'fixtures/mamba-lm');
const EXAMPLE = join(ROOT, 'dsl/examples/mamba-decoder.ramp');
const NEW_TOKENS = 24;
const REPEATS = 5;
const ROUNDS = 7;
const STRATEGIES = ['keep', 'update'] as const;
/** The fixture's reference settings (0.165, 0.255: teacher-forced 85 / 95 % agreement), then a sweep up. */
const REFERENCE_THRESHOLDS = [0.165, 0.255];
const THRESHOLDS = [...REFERENCE_THRESHOLDS, 0.35, 0.4, 0.45, 0.5, 0.525, 0.55];
/** Max softmax never reaches 1 on this model: the compiled step runs every block and every exit's check. */
const NEVER = 1;

const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'));
const reference = JSON.parse(readFileSync(join(FIXTURE, 'reference/generate.json'), 'utf8')) as {
  settings: { policy: string; threshold?: number; strategy: string | null; tokens: number[][] }[];
};
const promptsArray = parseNpy(readFileSync(join(FIXTURE, 'eval/prompts.npy')), 'prompts.npy').array!;
const length = promptsArray.shape[1]!;
const prompts = Array.from({ length: promptsArray.shape[0]! }, (_, p) =>
  Array.from((promptsArray.data as BigInt64Array).subarray(p * length, (p + 1) * length), Number),
);
const layers: number = config.num_layers;
const inner: number = config.intermediate_size;
const stateShapes = { conv: [1, inner, config.conv_kernel - 1], ssm: [1, inner, config.state_size] };
const total = prompts.length * NEW_TOKENS;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * The backbone's greedy generation, with the runtime's loop: the prompt from zero states, then one token
 * per call fed the present states. Returns the tokens and each decode step's session time.
 */
async function backboneGenerate(
  session: ort.InferenceSession,
  prompt: number[],
): Promise<{ tokens: number[]; stepMs: number[] }> {
  const states: Record<string, ort.Tensor> = {};
  for (let i = 0; i < layers; i++)
    for (const [kind, dims] of Object.entries(stateShapes))
      states[`past_${kind}.${i}`] = new ort.Tensor(
        'float32',
        new Float32Array(dims.reduce((a, b) => a * b, 1)),
        dims,
      );
  const tokens: number[] = [];
  const stepMs: number[] = [];
  let ids = prompt;
  while (tokens.length < NEW_TOKENS) {
    const started = performance.now();
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      ...states,
    });
    if (tokens.length > 0) stepMs.push(performance.now() - started);
    for (let i = 0; i < layers; i++)
      for (const kind of Object.keys(stateShapes)) states[`past_${kind}.${i}`] = out[`present_${kind}.${i}`]!;
    const logits = out.logits!;
    const vocab = logits.dims[2]!;
    const last = (logits.data as Float32Array).subarray((ids.length - 1) * vocab, ids.length * vocab);
    let best = 0;
    for (let v = 1; v < vocab; v++) if (last[v]! > last[best]!) best = v;
    tokens.push(best);
    ids = [best];
  }
  return { tokens, stepMs };
}

/**
 * Best of REPEATS wall times of `compiled` and of `backbone`, run alternately, so that both see the same
 * machine load and their ratio holds on a busy machine.
 */
async function sideBySide<T>(
  compiled: () => Promise<T>,
  backbone: () => Promise<unknown>,
): Promise<{ value: T; ms: number; backboneMs: number }> {
  let ms = Number.POSITIVE_INFINITY;
  let backboneMs = Number.POSITIVE_INFINITY;
  let value: T | undefined;
  for (let r = 0; r < REPEATS; r++) {
    let start = performance.now();
    await backbone();
    backboneMs = Math.min(backboneMs, performance.now() - start);
    start = performance.now();
    value = await compiled();
    ms = Math.min(ms, performance.now() - start);
  }
  return { value: value!, ms, backboneMs };
}

/** The example with another state strategy and, optionally, a single exit. */
function variant(strategy: string, exitAfter?: number): string {
  let source = readFileSync(EXAMPLE, 'utf8')
    .replace(/cache: \w+/, `cache: ${strategy}`)
    .replace(/model \w+/, `model bench_${strategy}${exitAfter ? `_exit${exitAfter}` : ''}`);
  if (exitAfter !== undefined) source = source.replace(/exits after 1\.\.5/, `exits after ${exitAfter}`);
  return source;
}

async function compiled(out: string, strategy: string, exitAfter?: number): Promise<DecoderModel> {
  const result = await compile({ file: EXAMPLE, source: variant(strategy, exitAfter), outDir: out });
  if (result.artifacts.length === 0) throw new Error(formatDiagnostics(result.diagnostics, { color: false }));
  return DecoderModel.load(result.artifacts[0]!.directory, { intraOpNumThreads: 1 });
}

interface Row {
  strategy: string;
  threshold: number;
  agreement: number;
  meanExit: number;
  tps: number;
  backboneTps: number;
  ratio: number;
  pytorch?: boolean;
}

async function main(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'offramp-bench-mamba-'));
  try {
    const options = { intraOpNumThreads: 1, logSeverityLevel: 3 as const };
    const backbone = await ort.InferenceSession.create(join(FIXTURE, 'decoder.onnx'), options);
    // Sequential, as a server decodes one request at a time.
    const backboneAll = async () => {
      const all: { tokens: number[]; stepMs: number[] }[] = [];
      for (const p of prompts) all.push(await backboneGenerate(backbone, p));
      return all;
    };
    const backboneTokens = (await backboneAll()).map((g) => g.tokens);
    const never = reference.settings.find((s) => s.policy === 'never')!;
    if (JSON.stringify(backboneTokens) !== JSON.stringify(never.tokens))
      throw new Error("the backbone's greedy loop does not reproduce the fixture's never-exit reference");
    console.log(
      `${prompts.length} prompts × ${NEW_TOKENS} tokens, one thread, best of ${REPEATS}, each setting timed alternately with the backbone's own loop`,
    );
    console.log(
      '\n| strategy | τ | agreement | mean exit layer | tokens/s | backbone tokens/s | × backbone |\n| --- | --- | --- | --- | --- | --- | --- |',
    );
    const rows: Row[] = [];
    for (const strategy of STRATEGIES) {
      const model = await compiled(out, strategy);
      for (const threshold of [...THRESHOLDS, NEVER]) {
        const run = await sideBySide(async () => {
          const gens = [];
          for (const p of prompts)
            gens.push(await model.generate(p, { maxNewTokens: NEW_TOKENS, params: { threshold } }));
          return gens;
        }, backboneAll);
        let same = 0;
        let depth = 0;
        run.value.forEach((g, p) => {
          same += g.tokens.filter((t, k) => t === backboneTokens[p]![k]).length;
          depth += g.steps.reduce((a, s) => a + s.exitLayer, 0);
        });
        const ref = reference.settings.find(
          (s) => s.policy === 'maxprob' && s.threshold === threshold && s.strategy === strategy,
        );
        const row: Row = {
          strategy,
          threshold,
          agreement: same / total,
          meanExit: depth / total,
          tps: (total * 1000) / run.ms,
          backboneTps: (total * 1000) / run.backboneMs,
          ratio: run.backboneMs / run.ms,
          ...(ref
            ? { pytorch: JSON.stringify(run.value.map((g) => g.tokens)) === JSON.stringify(ref.tokens) }
            : {}),
        };
        rows.push(row);
        console.log(
          `| ${strategy} | ${threshold} | ${(row.agreement * 100).toFixed(1)}% | ${row.meanExit.toFixed(2)} / ${layers} | ${row.tps.toFixed(0)} | ${row.backboneTps.toFixed(0)} | ${row.ratio.toFixed(2)}× |${row.pytorch === undefined ? '' : row.pytorch ? ' = PyTorch reference' : ' ≠ PyTorch reference'}`,
        );
      }
      await model.release();
    }
    const mismatched = rows.filter((r) => r.pytorch === false);
    if (mismatched.length > 0)
      throw new Error(
        `the compiled step does not generate PyTorch's reference tokens at ${mismatched.map((r) => `${r.strategy} τ ${r.threshold}`).join(', ')}`,
      );
    // Per strategy: the lowest τ that reaches 95 % agreement (the most exits at that agreement), and the
    // fastest setting at ≥ 95 % (above the lowest τ, exits are rare and the ratios differ by noise).
    const describe = (r: Row) =>
      `τ ${r.threshold}, ${(r.agreement * 100).toFixed(1)} % agreement, mean exit layer ${r.meanExit.toFixed(2)}: ${r.ratio.toFixed(2)}× the backbone's tokens/s`;
    const bestLines = STRATEGIES.map((s) => {
      const good = rows.filter((r) => r.strategy === s && r.threshold !== NEVER && r.agreement >= 0.95);
      if (good.length === 0) return `- ${s}: none of τ ${THRESHOLDS.join(', ')} reaches 95 % agreement`;
      const lowest = good.reduce((a, b) => (b.threshold < a.threshold ? b : a));
      const fastest = good.reduce((a, b) => (b.ratio > a.ratio ? b : a));
      return `- ${s}: lowest ${describe(lowest)}${fastest === lowest ? '' : `; fastest ${describe(fastest)}`}`;
    });
    console.log(`\nAt ≥ 95% token agreement with the backbone:\n${bestLines.join('\n')}`);

    // Single-exit models (after block 1 or 5) under keep and update, forced to exit there (τ 0: blocks 2..6 or
    // block 6 skipped) or never exiting (τ 1: every block runs, and update's per-sample path computes the
    // skipped-state updates that Where then discards), with the backbone's decode step beside them. Decode
    // steps only (the prompt's full-depth step left out), session time per step, median over the steps of a
    // round, best round; the variants interleaved round by round.
    const variants: { key: string; model: DecoderModel; threshold: number; layer: number }[] = [];
    for (const strategy of STRATEGIES)
      for (const k of [1, 5]) {
        const model = await compiled(out, strategy, k);
        variants.push({ key: `${strategy}@${k}`, model, threshold: 0, layer: k });
        if (k === 1) variants.push({ key: `${strategy}@never`, model, threshold: NEVER, layer: layers });
      }
    const stepMs = new Map<string, number>();
    const record = (key: string, ms: number) =>
      stepMs.set(key, Math.min(stepMs.get(key) ?? Number.POSITIVE_INFINITY, ms));
    for (let r = 0; r < ROUNDS; r++) {
      record('backbone', median((await backboneAll()).flatMap((g) => g.stepMs)));
      for (const { key, model, threshold, layer } of variants) {
        const steps: number[] = [];
        for (const p of prompts) {
          const g = await model.generate(p, { maxNewTokens: NEW_TOKENS, params: { threshold } });
          if (g.steps.some((s) => s.exitLayer !== layer && s.position > length))
            throw new Error(`${key}: a decode step left at another layer than ${layer}`);
          steps.push(...g.steps.slice(1).map((s) => s.wallMs));
        }
        record(key, median(steps));
      }
    }
    for (const { model, threshold } of variants) if (threshold === 0) await model.release();
    const us = (key: string) => stepMs.get(key)! * 1000;
    const block = (us('keep@5') - us('keep@1')) / 4;
    const update1 = (us('update@1') - us('keep@1')) / (layers - 1);
    const update5 = us('update@5') - us('keep@5');
    const perSample = us('update@never') - us('keep@never');
    const forcedLines = [
      `| exit after block 1 (τ 0), keep | ${us('keep@1').toFixed(0)} µs |`,
      `| exit after block 1 (τ 0), update (${layers - 1} blocks' states updated) | ${us('update@1').toFixed(0)} µs |`,
      `| exit after block 5 (τ 0), keep | ${us('keep@5').toFixed(0)} µs |`,
      `| exit after block 5 (τ 0), update (1 block's states updated) | ${us('update@5').toFixed(0)} µs |`,
      `| exit after block 1 never taken (τ 1), keep | ${us('keep@never').toFixed(0)} µs |`,
      `| exit after block 1 never taken (τ 1), update | ${us('update@never').toFixed(0)} µs |`,
      `| backbone's own step (${layers} blocks, norm_f, LM head) | ${us('backbone').toFixed(0)} µs |`,
    ];
    const costLines = [
      `Update: ${update1.toFixed(1)} µs per skipped block (exit after 1, ${layers - 1} skipped; ${update5.toFixed(1)} µs for the one block an exit after 5 skips) vs ${block.toFixed(1)} µs for running a block ((exit after 5 − exit after 1) ÷ 4, keep): ${((update1 / block) * 100).toFixed(0)} % of a block.`,
      `When no token exits, update's step costs ${perSample.toFixed(0)} µs more than keep's (${(perSample / (layers - 1)).toFixed(1)} µs per block after the exit): the If that skips the per-sample state updates when no sample has left, and the Where per state.`,
    ];
    console.log(`\n| single-exit model | decode step |\n| --- | --- |\n${forcedLines.join('\n')}`);
    console.log(costLines.join('\n'));

    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    printResults(
      [
        '### Token-level exits on the Mamba LM fixture (greedy, 16 prompts × 24 tokens)',
        '',
        `Max-prob exits after blocks 1–5 (\`dsl/examples/mamba-decoder.ramp\`), onnxruntime-node CPU, one thread; each`,
        `setting's 16 generations timed alternately with the backbone's own loop (\`decoder.onnx\`), best of ${REPEATS}`,
        "each. Agreement: position-wise with the backbone's generation. τ 1: nothing exits (every exit is checked).",
        '',
        '| strategy | τ | agreement | mean exit layer | tokens/s | backbone tokens/s | × backbone |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        ...rows.map(
          (r) =>
            `| ${r.strategy} | ${r.threshold}${r.pytorch ? ' (= PyTorch ref.)' : ''} | ${pct(r.agreement)} | ${r.meanExit.toFixed(2)} | ${r.tps.toFixed(0)} | ${r.backboneTps.toFixed(0)} | ${r.ratio.toFixed(2)}× |`,
        ),
        '',
        'At ≥ 95 % agreement with the backbone:',
        '',
        ...bestLines,
        '',
        `Models with a single exit, forced (τ 0) or never taken (τ 1): decode-step session time, median over the`,
        `${prompts.length} × ${NEW_TOKENS - 1} steps of a round, best of ${ROUNDS} interleaved rounds.`,
        '',
        '| single-exit model | decode step |',
        '| --- | --- |',
        ...forcedLines,
        '',
        ...costLines,
      ].join('\n'),
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

await main();
