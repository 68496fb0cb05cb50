import * as ort from 'onnxruntime-node';
import type { ArtifactTarget, DecoderSpec, Manifest } from './manifest.js';
import { feedFor, type LoadOptions, openChainSession, parameterFeed } from './node-session.js';

export interface SamplingOptions {
  /** Softmax temperature (> 0); 1 samples from the model's distribution. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens before sampling. */
  readonly topK?: number;
  /** Seed of the sampler, so a generation can be reproduced. */
  readonly seed?: number;
}

export interface GenerateOptions {
  /** Tokens to generate after the prompt (default 32). */
  readonly maxNewTokens?: number;
  /** Generation stops after emitting any of these. */
  readonly stopTokens?: readonly number[];
  /** Policy parameter overrides, by name (e.g. `{ threshold: 0.8 }`). */
  readonly params?: Readonly<Record<string, number | readonly number[]>>;
  /** Sample instead of taking the argmax. */
  readonly sampling?: SamplingOptions;
}

/** One generated token and how deep the model went for it. */
export interface GeneratedToken {
  readonly token: number;
  /** 0-based position in the whole sequence (prompt included). */
  readonly position: number;
  /** 1-based layer the token exited at (the prompt's first token always runs to full depth). */
  readonly exitLayer: number;
  readonly confidence: number;
  readonly wallMs: number;
}

export interface Generation {
  readonly tokens: number[];
  readonly steps: GeneratedToken[];
  /** Mean exit layer over the generated tokens, and the fraction of layers it saves. */
  readonly meanExitLayer: number;
  readonly layersSaved: number;
  readonly tokensPerSecond: number;
}

/** A user-facing runtime error: a bad prompt or option, said plainly (the CLI prints it without a trace). */
export class GenerationError extends Error {
  override readonly name = 'GenerationError';
}

/** mulberry32: a small deterministic generator for reproducible sampling. */
function sampler(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first index of the largest logit (torch.argmax and ONNX ArgMax break ties the same way). */
function argmax(logits: Float32Array): number {
  let best = 0;
  for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
  return best;
}

function sample(logits: Float32Array, options: SamplingOptions, random: () => number): number {
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new GenerationError(`sampling temperature must be > 0, got ${temperature}`);
  let order = Array.from(logits.keys());
  if (options.topK !== undefined) {
    if (!Number.isInteger(options.topK) || options.topK < 1)
      throw new GenerationError(`topK must be a positive integer, got ${options.topK}`);
    order = order.sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, options.topK);
  }
  const max = Math.max(...order.map((v) => logits[v]!));
  const weights = order.map((v) => Math.exp((logits[v]! - max) / temperature));
  let r = random() * weights.reduce((a, b) => a + b, 0);
  for (const [k, w] of weights.entries()) {
    r -= w;
    if (r < 0) return order[k]!;
  }
  return order[order.length - 1]!;
}

/**
 * The state before the first token, of the manifest's shape: a key/value cache or pending tensor with no
 * positions yet (its symbolic length is 0), or a recurrent state of fixed size (a Mamba block's conv and SSM
 * state), all zeros.
 */
function emptyCache(shape: readonly (number | string)[], batch: number): ort.Tensor {
  const dims = shape.map((d, k) => (typeof d === 'number' ? d : k === 0 ? batch : 0));
  return new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
}

/**
 * A compiled decoder step on onnxruntime-node, driven token by token: the prompt runs once at full depth
 * (filling every layer's cache), then each new token is one step in which the policy may exit early; the
 * caches the step returns (skipped layers filled by the compiled strategy) feed the next step, and so do,
 * for `recompute`, the layers' pending inputs (`manifest.decoder.pending`).
 */
export class DecoderModel {
  private constructor(
    readonly manifest: Manifest,
    readonly decoder: DecoderSpec,
    readonly target: ArtifactTarget,
    private readonly session: ort.InferenceSession,
  ) {}

  static async load(artifactDir: string, options: LoadOptions = {}): Promise<DecoderModel> {
    const { manifest, target, session } = await openChainSession(artifactDir, options).catch(
      (error: Error) => {
        throw new GenerationError(error.message);
      },
    );
    if (!manifest.decoder) {
      await session.release();
      throw new GenerationError(
        `artifact ${artifactDir} is not a decoder step (its .ramp file has no decode block)`,
      );
    }
    return new DecoderModel(manifest, manifest.decoder, target, session);
  }

  /** Generates token by token, yielding each one as soon as it is decided. */
  async *stream(prompt: readonly number[], options: GenerateOptions = {}): AsyncGenerator<GeneratedToken> {
    const maxNew = options.maxNewTokens ?? 32;
    this.check(prompt, maxNew);
    const stop = new Set(options.stopTokens ?? []);
    const random = options.sampling ? sampler(options.sampling.seed ?? 0) : undefined;
    // What each step hands the next: the caches, and (`recompute`) the layers' pending inputs.
    const carried = [
      ...this.decoder.caches.map((c) => ({ input: c.past, output: c.present, shape: c.shape })),
      ...(this.decoder.pending ?? []),
    ];
    const caches = new Map(carried.map((c) => [c.input, emptyCache(c.shape, 1)]));
    let ids = [...prompt];
    let position = 0;
    for (let produced = 0; produced < maxNew; produced++) {
      const feeds: Record<string, ort.Tensor> = {
        [this.decoder.idsInput]: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
        [this.decoder.fullDepthInput]: new ort.Tensor('bool', Uint8Array.of(produced === 0 ? 1 : 0), []),
        ...Object.fromEntries(caches),
      };
      if (this.decoder.attentionMask) {
        const total = position + ids.length;
        feeds[this.decoder.attentionMask] = new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [
          1,
          total,
        ]);
      }
      for (const spec of this.manifest.policy.parameters)
        feeds[spec.input] = parameterFeed(spec, options.params?.[spec.name] ?? spec.default);
      // In the loaded target's types (WebGPU: int32 ids and mask).
      for (const [name, tensor] of Object.entries(feeds)) feeds[name] = feedFor(this.target, name, tensor);
      const started = performance.now();
      const out = await this.session.run(feeds);
      const wallMs = performance.now() - started;
      for (const c of carried) caches.set(c.input, out[c.output]!);
      const logits = out[this.manifest.outputs.logits.name]!.data as Float32Array;
      const token = random ? sample(logits, options.sampling!, random) : argmax(logits);
      position += ids.length;
      yield {
        token,
        position,
        exitLayer: Number((out[this.manifest.outputs.exitLayer.name]!.data as ArrayLike<bigint | number>)[0]),
        confidence: (out[this.manifest.outputs.confidence.name]!.data as Float32Array)[0]!,
        wallMs,
      };
      if (stop.has(token)) return;
      ids = [token];
    }
  }

  /** Generates to the end (length or stop token) and summarises the exits. */
  async generate(prompt: readonly number[], options: GenerateOptions = {}): Promise<Generation> {
    const steps: GeneratedToken[] = [];
    for await (const step of this.stream(prompt, options)) steps.push(step);
    const layers = this.manifest.layers;
    const mean = steps.reduce((a, s) => a + s.exitLayer, 0) / Math.max(1, steps.length);
    const ms = steps.reduce((a, s) => a + s.wallMs, 0);
    return {
      tokens: steps.map((s) => s.token),
      steps,
      meanExitLayer: mean,
      layersSaved: 1 - mean / layers,
      tokensPerSecond: ms > 0 ? (steps.length * 1000) / ms : 0,
    };
  }

  private check(prompt: readonly number[], maxNew: number): void {
    if (prompt.length === 0) throw new GenerationError('the prompt is empty: give at least one token id');
    if (!Number.isInteger(maxNew) || maxNew < 1)
      throw new GenerationError(`maxNewTokens must be a positive integer, got ${maxNew}`);
    const bad = prompt.find((t) => !Number.isInteger(t) || t < 0);
    if (bad !== undefined) throw new GenerationError(`prompt token ${bad} is not a token id`);
    const context = this.decoder.context;
    // The last generated token is never fed back, so the model sees prompt + maxNew − 1 positions.
    if (context !== undefined && prompt.length + maxNew - 1 > context)
      throw new GenerationError(
        `prompt (${prompt.length} tokens) + ${maxNew} new tokens needs ${prompt.length + maxNew - 1} positions; the model has ${context}`,
      );
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
