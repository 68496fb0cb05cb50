import { exitContext, runDecisions } from './decisions.js';
import { NumericOps, type NumTensor, tensor } from './numeric-ops.js';
import type { ParameterValues } from './parameters.js';
import { type PolicyOptions, type PolicySpec, weightKey } from './spec.js';

/** One exit's head outputs for a batch, row-major float32. */
export interface ExitHeadData {
  /** [B, C]. */
  readonly logits: Float32Array;
  /** [B, H] (policies whose spec lists `pooled`). */
  readonly pooled?: Float32Array;
}

export interface SignalInput {
  readonly spec: PolicySpec;
  /** 1-based layers of the exits, ascending; the last one is the final exit. */
  readonly exitLayers: readonly number[];
  readonly classes: number;
  readonly options?: PolicyOptions;
  /** Per exit. */
  readonly heads: readonly ExitHeadData[];
  /** The user's key template for the policy's learned part (`palbert.lambda.`, `jei.gate.{i}.`). */
  readonly weightsPrefix?: string;
  /** The weights by full key (e.g. `jei.gate.3.weight`); undefined when absent. */
  readonly weight?: (
    key: string,
  ) => { readonly data: Float32Array; readonly shape: readonly number[] } | undefined;
}

/** What calibration records once per eval set: everything the decisions need, and nothing they don't. */
export interface Recording {
  readonly exitLayers: readonly number[];
  readonly classes: number;
  readonly options: PolicyOptions;
  /** Per exit: the [B] signal (typed `spec.signalType(options)`). */
  readonly signals: readonly NumTensor[];
  /** Per exit: int32 argmax of that exit's logits, first index on ties. */
  readonly predictions: readonly Int32Array[];
}

export interface EvaluationInput extends SignalInput {
  readonly parameters?: ParameterValues;
  /** float32 [B, exits] uniform numbers in [0, 1) (PonderNet). */
  readonly uniforms?: Float32Array;
  /** Never exit before this 1-based layer (default 1). */
  readonly minExit?: number;
}

export interface EvaluationResult {
  /** Per sample: 1-based layer of its exit. */
  readonly exitLayer: Int32Array;
  /** Per sample: the exit's logits [B, C]. */
  readonly logits: Float32Array;
  readonly prediction: Int32Array;
  readonly confidence: Float32Array;
  /** The per-exit signals (replayable by `simulate`). */
  readonly recording: Recording;
}

function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const rows = logits.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[r * classes + c]! > logits[r * classes + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Computes every exit's signal from its head outputs and the policy's weights (the numeric `signal`). */
export function recordSignals(input: SignalInput): Recording {
  const { spec, classes } = input;
  const batch = input.heads[0]!.logits.length / classes;
  const cache = new Map<string, NumTensor>();
  const weightTensor = (key: string): NumTensor => {
    const cached = cache.get(key);
    if (cached) return cached;
    const w = input.weight?.(key);
    if (!w) throw new Error(`policy '${spec.kind}' needs weight '${key}', which was not given`);
    const t = tensor('float32', w.shape, w.data);
    cache.set(key, t);
    return t;
  };
  const pooledAt = (e: number): NumTensor | undefined => {
    const pooled = input.heads[e]?.pooled;
    return pooled ? tensor('float32', [batch, pooled.length / batch], pooled) : undefined;
  };
  const signals = input.heads.map((head, e) => {
    const exit = exitContext(input, e);
    const ops = new NumericOps({
      weight: (key) => weightTensor(weightKey(input.weightsPrefix ?? '', key, exit.layer)),
    });
    const pooled = pooledAt(e);
    const previousPooled = e > 0 ? pooledAt(e - 1) : undefined;
    if (spec.needsPooled && !pooled)
      throw new Error(`policy '${spec.kind}' needs pooled vectors at exit ${e}`);
    return spec.signal(
      ops,
      {
        logits: tensor('float32', [batch, classes], head.logits),
        ...(pooled ? { pooled } : {}),
        ...(previousPooled ? { previousPooled } : {}),
      },
      exit,
    );
  });
  return {
    exitLayers: [...input.exitLayers],
    classes,
    options: { ...input.options },
    signals,
    predictions: input.heads.map((h) => argmaxRows(h.logits, classes)),
  };
}

/**
 * The TypeScript reference evaluator: the policy's one specification run numerically, exit by exit, with
 * the driver rules. Signals never depend on the decision state, so they are computed first.
 */
export function evaluatePolicy(input: EvaluationInput): EvaluationResult {
  const recording = recordSignals(input);
  const batch = recording.predictions[0]!.length;
  const carried = runDecisions({
    ...input,
    signals: recording.signals,
    outputs: input.heads.map((h) => tensor('float32', [batch, input.classes], h.logits)),
  });
  const logits = Float32Array.from(carried.logits.data);
  return {
    exitLayer: Int32Array.from(carried.layer.data),
    logits,
    prediction: argmaxRows(logits, input.classes),
    confidence: Float32Array.from(carried.confidence.data),
    recording,
  };
}
