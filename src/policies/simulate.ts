import { runDecisions } from './decisions.js';
import type { Recording } from './evaluate.js';
import type { NumTensor } from './numeric-ops.js';
import type { ParameterValues } from './parameters.js';
import type { PolicySpec } from './spec.js';

export interface SimulationOptions {
  /** Never exit before this 1-based layer (default 1). */
  readonly minExit?: number;
  /** float32 [B, exits] (PonderNet). */
  readonly uniforms?: Float32Array;
}

export interface SimulationResult {
  readonly parameters: ParameterValues;
  /** Per sample: 1-based exit layer. */
  readonly exitLayer: Int32Array;
  /** Per sample: the prediction of the exit taken. */
  readonly prediction: Int32Array;
  readonly confidence: Float32Array;
}

/**
 * Replays the policy's decisions over recorded signals for many parameter settings: the calibration inner
 * loop. It runs the spec's own `step` and the shared driver, carrying each exit's prediction instead of its
 * logits, so it cannot drift from the evaluator or the compiled graph.
 */
export function simulate(
  spec: PolicySpec,
  recording: Recording,
  settings: readonly ParameterValues[],
  options: SimulationOptions = {},
): SimulationResult[] {
  const outputs: NumTensor[] = recording.predictions.map((p) => ({
    dtype: 'int64',
    shape: [p.length, 1],
    data: Float64Array.from(p),
  }));
  return settings.map((parameters) => {
    const carried = runDecisions({
      spec,
      exitLayers: recording.exitLayers,
      classes: recording.classes,
      options: recording.options,
      signals: recording.signals,
      outputs,
      parameters,
      ...(options.uniforms ? { uniforms: options.uniforms } : {}),
      ...(options.minExit !== undefined ? { minExit: options.minExit } : {}),
    });
    return {
      parameters,
      exitLayer: Int32Array.from(carried.layer.data),
      prediction: Int32Array.from(carried.logits.data),
      confidence: Float32Array.from(carried.confidence.data),
    };
  });
}

/** A recording built from signals measured elsewhere (e.g. PyTorch's λ or gates), per exit [B]. */
export function recordingFromSignals(
  spec: PolicySpec,
  input: Omit<Recording, 'signals' | 'options'> & {
    readonly signals: readonly ArrayLike<number>[];
    readonly options?: Recording['options'];
  },
): Recording {
  const options = input.options ?? {};
  const dtype = spec.signalType(options);
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  return {
    exitLayers: input.exitLayers,
    classes: input.classes,
    options,
    predictions: input.predictions,
    signals: input.signals.map((s) => ({ dtype, shape: [s.length], data: Float64Array.from(s, round) })),
  };
}
