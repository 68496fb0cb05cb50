import { type Carried, driverStep } from './driver.js';
import { type NumTensor, NumericOps, tensor } from './numeric-ops.js';
import type { ExitContext, PolicySpec, PolicyState } from './spec.js';

export interface EvaluationInput {
  readonly spec: PolicySpec;
  /** 1-based layers of the exits, ascending; the last one is the final exit. */
  readonly exitLayers: readonly number[];
  readonly classes: number;
  /** Per exit: float32 logits [B, C] (row-major). */
  readonly logits: readonly Float32Array[];
  /** Per exit: float32 pooled vectors [B, H] (policies that need them). */
  readonly pooled?: readonly Float32Array[];
  /** Per exit: uniform numbers [B] (PonderNet). */
  readonly uniforms?: readonly Float32Array[];
  readonly parameters: Readonly<Record<string, number>>;
  /** Resolves a policy weight key (with `{i}` already replaced) to its values and shape. */
  readonly weight?: (key: string) => { readonly data: Float32Array; readonly shape: readonly number[] };
  readonly minExit?: number;
  readonly lambdaBlocks?: number;
  readonly normalizedEntropy?: boolean;
}

export interface EvaluationResult {
  readonly exitLayer: Int32Array;
  readonly prediction: Int32Array;
  readonly logits: Float32Array;
  readonly confidence: Float32Array;
  /** signals[e][b]: what calibration records per exit. */
  readonly signals: readonly Float64Array[];
}

function argmax(row: ArrayLike<number>, start: number, width: number): number {
  let best = 0;
  for (let c = 1; c < width; c++) if (row[start + c]! > row[start + best]!) best = c;
  return best;
}

/** The TypeScript reference evaluator: the policy's spec, run numerically exit by exit. */
export function evaluatePolicy(input: EvaluationInput): EvaluationResult {
  const { spec, classes } = input;
  const batch = input.logits[0]!.length / classes;
  const parameters: Record<string, NumTensor> = {};
  for (const p of spec.parameters) parameters[p.name] = tensor(p.dtype, [], [input.parameters[p.name] ?? p.default]);
  let state: PolicyState<NumTensor> | undefined;
  let carried: Carried<NumTensor> | undefined;
  const signals: Float64Array[] = [];
  input.exitLayers.forEach((layer, exitIndex) => {
    const exit: ExitContext = {
      layer,
      exitIndex,
      exitCount: input.exitLayers.length,
      classes,
      ...(input.lambdaBlocks !== undefined ? { lambdaBlocks: input.lambdaBlocks } : {}),
      ...(input.normalizedEntropy !== undefined ? { normalizedEntropy: input.normalizedEntropy } : {}),
    };
    const ops = new NumericOps(parameters, (key) => {
      const w = input.weight?.(key.replaceAll('{i}', String(layer - 1)));
      if (!w) throw new Error(`weight '${key}' is needed by ${spec.kind} but was not given`);
      return tensor('float32', w.shape, w.data);
    });
    state ??= spec.init(ops);
    const pooled = input.pooled?.[exitIndex];
    const previous = exitIndex > 0 ? input.pooled?.[exitIndex - 1] : undefined;
    const hidden = pooled ? pooled.length / batch : 0;
    const logits = tensor('float32', [batch, classes], input.logits[exitIndex]!);
    const signal = spec.signal(
      ops,
      {
        logits,
        ...(pooled ? { pooled: tensor('float32', [batch, hidden], pooled) } : {}),
        ...(previous ? { previousPooled: tensor('float32', [batch, hidden], previous) } : {}),
        ...(input.uniforms?.[exitIndex] ? { uniform: tensor('float32', [batch], input.uniforms[exitIndex]!) } : {}),
      },
      exit,
    );
    signals.push(Float64Array.from(signal.data));
    const step = spec.step(ops, state, signal, exit);
    state = step.state;
    carried = driverStep(ops, carried, { logits, exit: step.exit, confidence: step.confidence }, exit, {
      minExit: input.minExit ?? 1,
    });
  });
  const final = carried!;
  const logits = Float32Array.from(final.logits.data);
  return {
    exitLayer: Int32Array.from(final.layer.data),
    prediction: Int32Array.from({ length: batch }, (_, b) => argmax(logits, b * classes, classes)),
    logits,
    confidence: Float32Array.from(final.confidence.data),
    signals,
  };
}
