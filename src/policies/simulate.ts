import { runDecisions } from './decisions.js';
import type { Recording } from './evaluate.js';
import type { NumTensor } from './numeric-ops.js';
import { laneParameterSource, type ParameterValues } from './parameters.js';
import type { PolicySpec } from './spec.js';

export interface SimulationOptions {
  /** Never exit before this 1-based layer (default 1). */
  readonly minExit?: number;
  /** float32 [B, exits] (PonderNet). */
  readonly uniforms?: Float32Array;
  /**
   * Rows per replay: settings are replayed side by side, as many as fit in this many batch rows (default
   * 65,536), which bounds memory at about 100 bytes per row and exit.
   */
  readonly rowsPerReplay?: number;
}

export interface SimulationResult {
  readonly parameters: ParameterValues;
  /** Per sample: 1-based exit layer. */
  readonly exitLayer: Int32Array;
  /** Per sample: the prediction of the exit taken. */
  readonly prediction: Int32Array;
  readonly confidence: Float32Array;
}

const DEFAULT_ROWS = 1 << 16;

/** `t` repeated `times` times along its first axis. */
function tile(t: NumTensor, times: number): NumTensor {
  if (times === 1) return t;
  const data = new Float64Array(t.data.length * times);
  for (let k = 0; k < times; k++) data.set(t.data, k * t.data.length);
  return { dtype: t.dtype, shape: [t.shape[0]! * times, ...t.shape.slice(1)], data };
}

function tileArray(a: Float32Array, times: number): Float32Array {
  const out = new Float32Array(a.length * times);
  for (let k = 0; k < times; k++) out.set(a, k * a.length);
  return out;
}

/**
 * Replays the policy's decisions over recorded signals for many parameter settings: the calibration inner
 * loop. It runs the spec's own `step` and the shared driver, carrying each exit's prediction instead of its
 * logits, so it cannot drift from the evaluator or the compiled graph. Settings become more batch rows
 * (every row of the recording once per setting, each setting's parameters on its own rows), so one pass of
 * the state machine serves many settings and the per-op cost is paid once per group, not per setting.
 */
export function simulate(
  spec: PolicySpec,
  recording: Recording,
  settings: readonly ParameterValues[],
  options: SimulationOptions = {},
): SimulationResult[] {
  const batch = recording.predictions[0]?.length ?? 0;
  const perGroup = Math.max(1, Math.floor((options.rowsPerReplay ?? DEFAULT_ROWS) / Math.max(1, batch)));
  const predictions: NumTensor[] = recording.predictions.map((p) => ({
    dtype: 'int64',
    shape: [p.length, 1],
    data: Float64Array.from(p),
  }));
  const results: SimulationResult[] = [];
  for (let start = 0; start < settings.length; start += perGroup) {
    const group = settings.slice(start, start + perGroup);
    const times = group.length;
    const carried = runDecisions({
      spec,
      exitLayers: recording.exitLayers,
      classes: recording.classes,
      options: recording.options,
      signals: recording.signals.map((s) => tile(s, times)),
      outputs: predictions.map((p) => tile(p, times)),
      parameterSource: laneParameterSource(spec, group, batch),
      ...(options.uniforms ? { uniforms: tileArray(options.uniforms, times) } : {}),
      ...(options.minExit !== undefined ? { minExit: options.minExit } : {}),
    });
    group.forEach((parameters, s) => {
      const rows = (t: NumTensor) => t.data.subarray(s * batch, (s + 1) * batch);
      results.push({
        parameters,
        exitLayer: Int32Array.from(rows(carried.layer)),
        prediction: Int32Array.from(rows(carried.logits)),
        confidence: Float32Array.from(rows(carried.confidence)),
      });
    });
  }
  return results;
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
