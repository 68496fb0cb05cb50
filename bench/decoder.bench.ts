/**
 * Token-level early exit on the decoder fixture (fixtures/decoder), side by side in one process:
 * 1. greedy generation with the compiled step (per policy, threshold and cache strategy) against the backbone's
 *    own greedy generation (decoder.onnx driven by the same loop): token agreement, mean exit layer, tokens/s
 *    ratio; the fastest setting at ≥ 95% agreement per strategy;
 * 2. what propagating one skipped layer's keys/values costs against running that layer (forced exits).
 * Run: node --import tsx bench/decoder.bench.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile } from '../src/compiler/index.js';
import { parseNpy } from '../src/io/index.js';
import { DecoderModel } from '../src/runtime/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'fixtures/decoder');
const EXAMPLE = join(ROOT, 'dsl/examples/decoder.ramp');
const NEW_TOKENS = 24;
const REPEATS = 3;

const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'));
const promptsArray = parseNpy(readFileSync(join(FIXTURE, 'eval/prompts.npy')), 'prompts.npy').array!;
const length = promptsArray.shape[1]!;
const prompts = Array.from({ length: promptsArray.shape[0]! }, (_, p) =>
  Array.from((promptsArray.data as BigInt64Array).subarray(p * length, (p + 1) * length), Number),
);
const layers: number = config.num_layers;

/** The backbone's greedy generation, with the same prefill-then-one-token loop as the runtime. */
async function backboneGenerate(session: ort.InferenceSession, prompt: number[]): Promise<number[]> {
  const empty = () =>
    new ort.Tensor('float32', new Float32Array(0), [1, config.num_attention_heads, 0, config.head_size]);
  const caches: Record<string, ort.Tensor> = {};
  for (let i = 0; i < layers; i++)
    for (const kv of ['key', 'value']) caches[`past_key_values.${i}.${kv}`] = empty();
  const tokens: number[] = [];
  let ids = prompt;
  while (tokens.length < NEW_TOKENS) {
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      ...caches,
    });
    for (let i = 0; i < layers; i++)
      for (const kv of ['key', 'value']) caches[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`]!;
    const logits = out.logits!;
    const vocab = logits.dims[2]!;
    const last = (logits.data as Float32Array).subarray((ids.length - 1) * vocab, ids.length * vocab);
    let best = 0;
    for (let v = 1; v < vocab; v++) if (last[v]! > last[best]!) best = v;
    tokens.push(best);
    ids = [best];
  }
  return tokens;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  let best = Number.POSITIVE_INFINITY;
  let value: T | undefined;
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    value = await run();
    best = Math.min(best, performance.now() - start);
  }
  return { value: value!, ms: best };
}

function variant(policy: string, cache: string): string {
  const source = readFileSync(EXAMPLE, 'utf8');
  const block =
    policy === 'learned'
      ? /policy learned \{[\s\S]*?\n {2}\}/.exec(source)![0]
      : `policy ${policy} { threshold: 0.5 }`;
  return source
    .replace(/policy learned \{[\s\S]*?\n {2}\}/, block)
    .replace(/cache: \w+/, `cache: ${cache}`)
    .replace(/model \w+/, `model bench_${policy}_${cache}`);
}

async function main(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'offramp-bench-decoder-'));
  try {
    const options = { intraOpNumThreads: 1, logSeverityLevel: 3 as const };
    const backbone = await ort.InferenceSession.create(join(FIXTURE, 'decoder.onnx'), options);
    const reference = await timed(() =>
      Promise.all(prompts.map((p) => backboneGenerate(backbone, p))).then((x) => x),
    );
    // Sequential, as a server decodes one request: Promise.all above runs them one after another anyway (one session).
    const backboneTps = (prompts.length * NEW_TOKENS * 1000) / reference.ms;
    console.log(
      `backbone: ${backboneTps.toFixed(0)} tokens/s (${prompts.length} prompts × ${NEW_TOKENS} tokens, best of ${REPEATS})`,
    );
    console.log(
      '\n| strategy | policy | τ | agreement | mean exit layer | tokens/s | × backbone |\n| --- | --- | --- | --- | --- | --- | --- |',
    );
    const best = new Map<string, { label: string; ratio: number; agreement: number }>();
    const forced = new Map<string, number>();
    for (const cache of ['copy', 'propagate']) {
      for (const policy of ['maxprob', 'margin', 'learned']) {
        const result = await compile({ file: EXAMPLE, source: variant(policy, cache), outDir: out });
        if (result.artifacts.length === 0)
          throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
        const model = await DecoderModel.load(result.artifacts[0]!.directory, { intraOpNumThreads: 1 });
        // Around the fixture's reference settings: this small LM is rarely sure (max-prob ≈ 0.1).
        const thresholds = {
          maxprob: [0.07, 0.09, 0.11, 0.15, 0.25],
          margin: [0.02, 0.04, 0.08, 0.15],
          learned: [0.5, 0.7, 0.855, 0.95],
        }[policy]!;
        for (const threshold of thresholds) {
          const run = await timed(async () => {
            const gens = [];
            for (const p of prompts)
              gens.push(await model.generate(p, { maxNewTokens: NEW_TOKENS, params: { threshold } }));
            return gens;
          });
          let same = 0;
          let depth = 0;
          run.value.forEach((g, p) => {
            same += g.tokens.filter((t, k) => t === reference.value[p]![k]).length;
            depth += g.steps.reduce((a, s) => a + s.exitLayer, 0);
          });
          const total = prompts.length * NEW_TOKENS;
          const tps = (total * 1000) / run.ms;
          const agreement = same / total;
          console.log(
            `| ${cache} | ${policy} | ${threshold} | ${(agreement * 100).toFixed(1)}% | ${(depth / total).toFixed(2)} / ${layers} | ${tps.toFixed(0)} | ${(tps / backboneTps).toFixed(2)}× |`,
          );
          const current = best.get(cache);
          if (agreement >= 0.95 && (!current || tps / backboneTps > current.ratio))
            best.set(cache, { label: `${policy} τ ${threshold}`, ratio: tps / backboneTps, agreement });
        }
        if (policy === 'maxprob') {
          // Forced exit after layer 1 (τ 0): every generated token skips layers 2..N.
          const run = await timed(async () => {
            for (const p of prompts)
              await model.generate(p, { maxNewTokens: NEW_TOKENS, params: { threshold: 0 } });
          });
          forced.set(cache, run.ms);
          const never = await timed(async () => {
            for (const p of prompts)
              await model.generate(p, { maxNewTokens: NEW_TOKENS, params: { threshold: 2 } });
          });
          forced.set(`${cache}/never`, never.ms);
        }
        await model.release();
      }
    }
    console.log('\nFastest setting at ≥ 95% token agreement with the backbone:');
    for (const [cache, b] of best)
      console.log(
        `- ${cache}: ${b.label}: ${b.ratio.toFixed(2)}× the backbone's tokens/s (${(b.agreement * 100).toFixed(1)}% agreement)`,
      );
    const steps = prompts.length * NEW_TOKENS;
    const skipped = layers - 1;
    const copyMs = forced.get('copy')!;
    const propagateMs = forced.get('propagate')!;
    const fullMs = forced.get('copy/never')!;
    const perLayer = (fullMs - copyMs) / steps / skipped;
    const propagatePerLayer = (propagateMs - copyMs) / steps / skipped;
    console.log(
      `\nPropagate: ${(propagatePerLayer * 1000).toFixed(1)} µs per skipped layer per token vs ${(perLayer * 1000).toFixed(1)} µs for running a layer (${((propagatePerLayer / perLayer) * 100).toFixed(0)}% of a layer); forced exit at layer 1, ${skipped} layers skipped.`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

await main();
