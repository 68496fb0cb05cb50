import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ArtifactTarget, Manifest, ParameterSpec } from './manifest.js';
import { type CallTelemetry, TelemetryRecorder, type TelemetrySummary } from './telemetry.js';
import type { HostTensor } from './tensors.js';

export interface LoadOptions {
  /** Which compiled target to load; defaults to the first `cpu` target. */
  readonly target?: ArtifactTarget['target'];
  /** Overrides the manifest's execution providers (e.g. `['webgpu']`). */
  readonly executionProviders?: readonly string[];
  readonly intraOpNumThreads?: number;
  /** Extra session config entries, e.g. `{ 'session.disable_cpu_ep_fallback': '1' }`. */
  readonly sessionConfig?: Readonly<Record<string, string>>;
  /**
   * Profile the session: onnxruntime writes `<prefix>_<time>.json` when the model is released, one event
   * per node run with the execution provider that ran it (how tests prove placement).
   */
  readonly profilePrefix?: string;
}

export interface RunOptions {
  /** Policy parameter overrides for this call, by parameter name (e.g. `{ patience: 3 }`). */
  readonly params?: Readonly<Record<string, number | readonly number[]>>;
  /** PonderNet: uniform numbers in [0, 1), row-major [batch, exits]; drawn from `seed` when not given. */
  readonly uniforms?: Float32Array;
  /** PonderNet: seed for the uniform numbers, so a run can be reproduced. */
  readonly seed?: number;
}

/** A small deterministic generator (mulberry32) for reproducible PonderNet exits. */
function uniformNumbers(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

export interface ExitOutputs {
  readonly batch: number;
  readonly classes: number;
  /** Row-major [batch, classes]. */
  readonly logits: Float32Array;
  readonly predictions: Int32Array;
  /** 1-based layer at which each sample exited. */
  readonly exitLayer: Int32Array;
  readonly confidence: Float32Array;
  readonly telemetry: CallTelemetry;
}

export function toOrtTensor(t: HostTensor): ort.Tensor {
  return new ort.Tensor(t.elementType as ort.Tensor.Type, t.data as ort.Tensor.DataType, [...t.dims]);
}

/**
 * A feed in the element type the loaded target's model takes (`ArtifactTarget.feedTypes`: WebGPU narrows
 * int64 to int32 and float64 to float32); callers keep passing the manifest's types.
 */
export function asFeedType(tensor: ort.Tensor, type: string | undefined): ort.Tensor {
  if (!type || type === tensor.type) return tensor;
  const data = tensor.data as ArrayLike<number | bigint>;
  switch (type) {
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(data, Number), tensor.dims);
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(data, Number), tensor.dims);
    case 'int64':
      return new ort.Tensor(
        'int64',
        BigInt64Array.from(data, (v) => BigInt(v)),
        tensor.dims,
      );
    default:
      throw new Error(`cannot feed a ${tensor.type} tensor as ${type}`);
  }
}

/** `tensor` as the loaded target's model takes input `name` (its `feedTypes`; unchanged when not listed). */
export function feedFor(target: ArtifactTarget, name: string, tensor: ort.Tensor): ort.Tensor {
  return asFeedType(tensor, target.feedTypes?.[name]);
}

/** The feed for a policy parameter: a scalar, or a vector for per-exit parameters. */
export function parameterFeed(spec: ParameterSpec, value: number | readonly number[]): ort.Tensor {
  // A per-exit parameter (its default is a vector) takes one value per exit; a single number applies to all.
  const perExit = Array.isArray(spec.default) ? (spec.default as readonly number[]).length : 0;
  const given =
    typeof value === 'number' && perExit > 0 ? Array.from({ length: perExit }, () => value) : value;
  const values = typeof given === 'number' ? [given] : [...given];
  const dims = typeof given === 'number' ? [] : [values.length];
  switch (spec.elementType) {
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(Math.trunc(v)))), dims);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(values), dims);
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(values), dims);
    default:
      throw new Error(`parameter ${spec.name} has unsupported element type ${spec.elementType}`);
  }
}

function argmaxRows(logits: Float32Array, batch: number, classes: number): Int32Array {
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[b * classes + c]! > logits[b * classes + best]!) best = c;
    out[b] = best;
  }
  return out;
}

/** Reads an artifact's manifest and opens its chain-form model for the wanted target (default `cpu`). */
export async function openChainSession(
  artifactDir: string,
  options: LoadOptions,
): Promise<{ manifest: Manifest; target: ArtifactTarget; session: ort.InferenceSession }> {
  const manifest = JSON.parse(await readFile(join(artifactDir, 'manifest.json'), 'utf8')) as Manifest;
  const wanted = options.target ?? 'cpu';
  const target = manifest.targets.find((t) => t.target === wanted && t.form === 'chain');
  if (!target) throw new Error(`artifact ${artifactDir} has no chain-form '${wanted}' target`);
  const session = await ort.InferenceSession.create(join(artifactDir, target.models[0]!), {
    executionProviders: [...(options.executionProviders ?? target.executionProviders)] as string[],
    // Warnings only: ORT's informational notes about graph rewrites are noise to an application.
    logSeverityLevel: 3,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    ...(options.sessionConfig ? { extra: { session: options.sessionConfig } } : {}),
    ...(options.profilePrefix ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
  } as ort.InferenceSession.SessionOptions);
  return { manifest, target, session };
}

/** A compiled chain-form artifact running on onnxruntime-node. */
export class CompiledModel {
  private readonly telemetry: TelemetryRecorder;
  private calls = 0;

  private constructor(
    readonly manifest: Manifest,
    readonly target: ArtifactTarget,
    private readonly session: ort.InferenceSession,
  ) {
    this.telemetry = new TelemetryRecorder(manifest.layers);
  }

  static async load(artifactDir: string, options: LoadOptions = {}): Promise<CompiledModel> {
    const { manifest, target, session } = await openChainSession(artifactDir, options);
    return new CompiledModel(manifest, target, session);
  }

  async run(inputs: Readonly<Record<string, HostTensor>>, options: RunOptions = {}): Promise<ExitOutputs> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.manifest.inputs) {
      const tensor = inputs[spec.name];
      if (!tensor) throw new Error(`missing input '${spec.name}'`);
      feeds[spec.name] = feedFor(this.target, spec.name, toOrtTensor(tensor));
    }
    // Parameters are plain graph inputs (onnxruntime's JS bindings cannot override initializer defaults),
    // so every call feeds them: the caller's value, else the manifest's default.
    for (const spec of this.manifest.policy.parameters) {
      const feed = parameterFeed(spec, options.params?.[spec.name] ?? spec.default);
      feeds[spec.input] = feedFor(this.target, spec.input, feed);
    }
    const uniformsInput = this.manifest.policy.uniformsInput;
    if (uniformsInput) {
      const batch = Number(Object.values(feeds)[0]?.dims[0] ?? 1);
      const exits = this.manifest.exits.length;
      const values = options.uniforms ?? uniformNumbers(batch * exits, options.seed ?? this.calls);
      feeds[uniformsInput] = feedFor(
        this.target,
        uniformsInput,
        new ort.Tensor('float32', values, [batch, exits]),
      );
    }
    this.calls += 1;
    const started = performance.now();
    const out = await this.session.run(feeds);
    const wallMs = performance.now() - started;
    const names = this.manifest.outputs;
    const logitsTensor = out[names.logits.name]!;
    const [batch = 0, classes = 0] = logitsTensor.dims;
    const logits = logitsTensor.data as Float32Array;
    // int64 as compiled; a target's model may give another integer type (`outputTypes`).
    const exitRaw = out[names.exitLayer.name]!.data as ArrayLike<bigint | number>;
    const exitLayer = Int32Array.from(exitRaw, (v) => Number(v));
    const confidence = out[names.confidence.name]!.data as Float32Array;
    const telemetry: CallTelemetry = {
      exitLayers: [...exitLayer],
      layersExecuted: exitLayer.reduce((a, b) => Math.max(a, b), 0),
      wallMs,
    };
    this.telemetry.record(telemetry);
    return {
      batch,
      classes,
      logits,
      predictions: argmaxRows(logits, batch, classes),
      exitLayer,
      confidence,
      telemetry,
    };
  }

  stats(): TelemetrySummary {
    return this.telemetry.summary();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
