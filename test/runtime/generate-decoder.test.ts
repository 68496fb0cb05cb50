/**
 * Token-level early exit on the decoder fixture, end to end: `dsl/examples/decoder.ramp`'s model, compiled per
 * policy and cache strategy (copy, propagate, recompute), generated token by token by `DecoderModel`, against
 * PyTorch's reference generations (fixtures/decoder/reference/generate.json): the same tokens and the same
 * exit layer for every token of every prompt.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { parseNpy } from '../../src/io/index.js';
import { DecoderModel, GenerationError } from '../../src/runtime/index.js';
import { batchedGreedy } from '../support/batched-greedy.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'dsl/examples/decoder.ramp');
const FIXTURE = join(ROOT, 'fixtures/decoder');

interface Setting {
  readonly name: string;
  readonly policy: 'never' | 'maxprob' | 'margin' | 'learned';
  readonly threshold?: number;
  readonly cache: 'copy' | 'propagate' | 'recompute' | null;
  readonly tokens: number[][];
  readonly exit_layer: number[][];
}

const reference = JSON.parse(readFileSync(join(FIXTURE, 'reference/generate.json'), 'utf8')) as {
  prompt_length: number;
  new_tokens: number;
  settings: Setting[];
};
const promptsArray = parseNpy(readFileSync(join(FIXTURE, 'eval/prompts.npy')), 'prompts.npy').array!;
const prompts = Array.from({ length: promptsArray.shape[0]! }, (_, p) =>
  Array.from(
    (promptsArray.data as BigInt64Array).subarray(
      p * reference.prompt_length,
      (p + 1) * reference.prompt_length,
    ),
    Number,
  ),
);

/** The example's text with another policy and cache strategy (thresholds stay run-time parameters). */
type Cache = 'copy' | 'propagate' | 'recompute';

function variant(policy: 'maxprob' | 'margin' | 'learned', cache: Cache): string {
  const source = readFileSync(EXAMPLE, 'utf8');
  const policyBlock =
    policy === 'learned'
      ? /policy learned \{[\s\S]*?\n {2}\}/.exec(source)![0]
      : `policy ${policy} { threshold: 0.5 }`;
  return source
    .replace(/policy learned \{[\s\S]*?\n {2}\}/, policyBlock)
    .replace(/cache: \w+/, `cache: ${cache}`)
    .replace(/model \w+/, `model gpt2_${policy}_${cache}`);
}

const outDir = mkdtempSync(join(tmpdir(), 'offramp-decoder-'));
const models = new Map<string, DecoderModel>();

async function modelFor(policy: 'maxprob' | 'margin' | 'learned', cache: Cache) {
  const key = `${policy}/${cache}`;
  const cached = models.get(key);
  if (cached) return cached;
  // debug: the IR verifier runs after every pass.
  const result = await compile({ file: EXAMPLE, source: variant(policy, cache), outDir, debug: true });
  expect(result.diagnostics, formatDiagnostics(result.diagnostics)).toEqual([]);
  const model = await DecoderModel.load(result.artifacts[0]!.directory, { intraOpNumThreads: 1 });
  models.set(key, model);
  return model;
}

afterAll(async () => {
  for (const m of models.values()) await m.release();
});

// `never` is the backbone's own greedy generation: any compiled model with exits switched off. It is run on
// a copy and on a recompute model (whose step also carries the pending inputs, all empty here).
const cases = reference.settings.flatMap((s) =>
  s.cache === null
    ? [
        [`${s.name} (copy model)`, s, 'copy'] as const,
        [`${s.name} (recompute model)`, s, 'recompute'] as const,
      ]
    : [[s.name, s, s.cache] as const],
);

describe('generation with token-level exits matches PyTorch', () => {
  it.each(cases)('%s', async (_name, setting, cache) => {
    const policy = setting.policy === 'never' ? 'maxprob' : setting.policy;
    const model = await modelFor(policy, cache);
    const params = { threshold: setting.policy === 'never' ? 2 : setting.threshold! };
    let sameTokens = 0;
    let sameExits = 0;
    let total = 0;
    for (const [p, prompt] of prompts.entries()) {
      const g = await model.generate(prompt, { maxNewTokens: reference.new_tokens, params });
      total += reference.new_tokens;
      sameTokens += g.tokens.filter((t, k) => t === setting.tokens[p]![k]).length;
      sameExits += g.steps.filter((s, k) => s.exitLayer === setting.exit_layer[p]![k]).length;
    }
    expect({ tokens: sameTokens / total, exits: sameExits / total }).toEqual({ tokens: 1, exits: 1 });
  });
});

/**
 * The step graph decides per sample: in a batch, a sample that exited keeps its own token and gets its own
 * cache fill (copy, propagate: Where on each skipped layer) while the others run on; with recompute the
 * layers run for every sample while any runs, so an exited sample's deferred entries are computed at once
 * (the values it would get later). Decoding 4 prompts as one batch must give each exactly what it gets
 * alone. For recompute, each step also checks the deferral bookkeeping: every token in layer j−1's cache is
 * either in layer j's cache or pending at layer j, so cache lengths never increase with depth.
 */
async function batchedGreedyChecked(directory: string, batchPrompts: number[][], threshold: number) {
  const pendingCounts: number[][] = [];
  const result = await batchedGreedy(
    directory,
    batchPrompts,
    threshold,
    reference.new_tokens,
    (out, manifest) => {
      const pending = manifest.decoder.pending;
      if (!pending) return;
      const cacheLength = (layer: number) => (out[`present.${layer - 1}.key`] as ort.Tensor).dims[2]!;
      const waiting = (layer: number) =>
        (out[pending.find((p) => p.layer === layer)!.output] as ort.Tensor).dims[1]!;
      for (let layer = 2; layer <= manifest.layers; layer++)
        expect(cacheLength(layer) + waiting(layer)).toBe(cacheLength(layer - 1));
      pendingCounts.push(Array.from({ length: manifest.layers - 1 }, (_, k) => waiting(k + 2)));
    },
  );
  return { ...result, pendingCounts };
}

describe('a batch of prompts', () => {
  it.each([
    ['copy', 'maxprob', 0.09],
    ['propagate', 'maxprob', 0.09],
    ['recompute', 'maxprob', 0.09],
    ['recompute', 'learned', 0.525],
  ] as const)('decodes each prompt exactly as alone (%s, %s τ %s)', async (cache, policy, threshold) => {
    const model = await modelFor(policy, cache);
    const directory = join(outDir, `gpt2_${policy}_${cache}`);
    const batchPrompts = prompts.slice(0, 4);
    const batched = await batchedGreedyChecked(directory, batchPrompts, threshold);
    for (const [b, prompt] of batchPrompts.entries()) {
      const alone = await model.generate(prompt, {
        maxNewTokens: reference.new_tokens,
        params: { threshold },
      });
      expect(batched.tokens[b]).toEqual(alone.tokens);
      expect(batched.exits[b]).toEqual(alone.steps.map((s) => s.exitLayer));
    }
    // The case is informative: at many steps the samples of the batch exit at different layers.
    const mixedSteps = batched.exits[0]!.filter((_, k) => new Set(batched.exits.map((e) => e[k])).size > 1);
    expect(mixedSteps.length).toBeGreaterThan(reference.new_tokens / 4);
    // Recompute with the learned policy: at some steps the whole batch exited early, leaving tokens pending.
    if (cache === 'recompute' && policy === 'learned') {
      expect(batched.pendingCounts.some((counts) => counts.some((n) => n > 0))).toBe(true);
    }
  });
});

describe('DecoderModel options', () => {
  let model: DecoderModel;
  beforeAll(async () => {
    model = await modelFor('maxprob', 'copy');
  });

  it('streams the same tokens generate returns, and stops at a stop token', async () => {
    const prompt = prompts[0]!;
    const whole = await model.generate(prompt, { maxNewTokens: 12, params: { threshold: 0.5 } });
    const streamed: number[] = [];
    for await (const step of model.stream(prompt, { maxNewTokens: 12, params: { threshold: 0.5 } }))
      streamed.push(step.token);
    expect(streamed).toEqual(whole.tokens);
    const stop = whole.tokens[4]!;
    const stopped = await model.generate(prompt, {
      maxNewTokens: 12,
      params: { threshold: 0.5 },
      stopTokens: [stop],
    });
    expect(stopped.tokens).toEqual(whole.tokens.slice(0, whole.tokens.indexOf(stop) + 1));
  });

  it('samples reproducibly from a seed', async () => {
    const options = { maxNewTokens: 10, sampling: { temperature: 1, topK: 20, seed: 3 } };
    const a = await model.generate(prompts[1]!, options);
    const b = await model.generate(prompts[1]!, options);
    const c = await model.generate(prompts[1]!, { ...options, sampling: { ...options.sampling, seed: 4 } });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
  });

  it('says plainly what is wrong with a prompt', async () => {
    await expect(model.generate([], {})).rejects.toThrow(GenerationError);
    const long = Array.from({ length: 200 }, () => 1);
    await expect(model.generate(long, { maxNewTokens: 4 })).rejects.toThrow(/positions; the model has \d+/);
  });
});

describe('bad decoder input', () => {
  it('a decode block on a backbone without cache inputs is a diagnostic naming the missing input', async () => {
    const source = `model not_a_decoder {
  backbone "../../fixtures/encoder/backbone.onnx" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..5 {
    pool cls
    head linear
    weights "../../fixtures/encoder/heads.safetensors" key "jei.im.{i}."
  }
  policy maxprob { threshold: 0.5 }
  decode { cache: copy }
  target cpu
}
`;
    const result = await compile({
      file: EXAMPLE,
      source,
      outDir: mkdtempSync(join(tmpdir(), 'offramp-nd-')),
    });
    expect(result.artifacts).toEqual([]);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['OR5002']);
    expect(result.diagnostics[0]!.message).toMatch(/without the cache input 'past_key_values\.0\.key'/);
  });

  it('wrong cache names in the decode block are reported, not guessed', async () => {
    const source = readFileSync(EXAMPLE, 'utf8').replace('cache: copy', 'cache: copy, past: "past.{i}."');
    const result = await compile({
      file: EXAMPLE,
      source,
      outDir: mkdtempSync(join(tmpdir(), 'offramp-nd-')),
    });
    expect(result.artifacts).toEqual([]);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['OR5002']);
    expect(result.diagnostics[0]!.message).toMatch(/'past\.0\.key'/);
  });
});
