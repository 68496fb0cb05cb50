import { type Carried, driverStep } from './driver.js';
import { NumericOps, type NumTensor } from './numeric-ops.js';
import { type ParameterSource, type ParameterValues, parameterSource } from './parameters.js';
import type { ExitContext, PolicyOptions, PolicySpec, PolicyState } from './spec.js';

export interface DecisionInput {
  readonly spec: PolicySpec;
  /** 1-based layers of the exits, ascending; the last one always exits. */
  readonly exitLayers: readonly number[];
  readonly classes: number;
  readonly options?: PolicyOptions;
  /** Per exit: the [B] signal. */
  readonly signals: readonly NumTensor[];
  /** Per exit: what a sample keeps when it exits there ([B, C] logits, or [B, 1] predictions). */
  readonly outputs: readonly NumTensor[];
  readonly parameters?: ParameterValues;
  /** Reads parameters from here instead of `parameters` (the simulator's settings side by side). */
  readonly parameterSource?: ParameterSource;
  /** float32 [B, exits], row-major (PonderNet). */
  readonly uniforms?: Float32Array;
  /** Never exit before this 1-based layer (default 1). */
  readonly minExit?: number;
}

export function exitContext(
  input: Pick<DecisionInput, 'exitLayers' | 'classes' | 'options'>,
  exitIndex: number,
): ExitContext {
  return {
    ...input.options,
    layer: input.exitLayers[exitIndex]!,
    exitIndex,
    exitCount: input.exitLayers.length,
    classes: input.classes,
  };
}

/** Column `exitIndex` of row-major uniforms [B, exits]. */
function uniformColumn(uniforms: Float32Array | undefined, exits: number) {
  return (exitIndex: number): NumTensor => {
    if (!uniforms) throw new Error('this policy needs uniform numbers [B, exits]');
    const batch = uniforms.length / exits;
    const data = new Float64Array(batch);
    for (let b = 0; b < batch; b++) data[b] = uniforms[b * exits + exitIndex]!;
    return { dtype: 'float32', shape: [batch], data };
  };
}

/**
 * The decision half of a policy, run numerically: the spec's state machine over per-exit signals, then the
 * shared driver rules. The reference evaluator and the simulator both end here.
 */
export function runDecisions(input: DecisionInput): Carried<NumTensor> {
  const { spec } = input;
  const ops = new NumericOps({
    parameter: input.parameterSource ?? parameterSource(spec, input.parameters ?? {}),
    uniform: uniformColumn(input.uniforms, input.exitLayers.length),
  });
  let state: PolicyState<NumTensor> = spec.init(ops);
  let carried: Carried<NumTensor> | undefined;
  const rules = { minExit: input.minExit ?? 1 };
  for (let e = 0; e < input.exitLayers.length; e++) {
    const exit = exitContext(input, e);
    const step = spec.step(ops, state, input.signals[e]!, exit);
    state = step.state;
    carried = driverStep(
      ops,
      carried,
      { logits: input.outputs[e]!, exit: step.exit, confidence: step.confidence },
      exit,
      rules,
    );
  }
  if (!carried) throw new Error('a policy needs at least one exit');
  return carried;
}
