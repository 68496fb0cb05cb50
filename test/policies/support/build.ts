import {
  type ParameterValues,
  type PolicySpec,
  recordingFromSignals,
  simulate,
} from '../../../src/policies/index.js';

/** 1-based layers 1..n. */
export const layers = (n: number) => Array.from({ length: n }, (_, k) => k + 1);

/** Per-exit float32 logits for one sample from rows of numbers. */
export const logitRows = (rows: readonly (readonly number[])[]) =>
  rows.map((r) => ({ logits: Float32Array.from(r) }));

/** Per-exit logits for a batch: `rows[e][b]` is sample b's logits at exit e. */
export const batchLogits = (rows: readonly (readonly (readonly number[])[])[]) =>
  rows.map((perSample) => ({ logits: Float32Array.from(perSample.flat()) }));

/**
 * Replays a policy's decisions over one sample's signal sequence and returns its exit layer and
 * confidence, the way calibration does.
 */
export function decide(
  spec: PolicySpec,
  signals: readonly number[],
  parameters: ParameterValues,
  extra: { minExit?: number; uniforms?: readonly number[] } = {},
) {
  const recording = recordingFromSignals(spec, {
    exitLayers: layers(signals.length),
    classes: 2,
    signals: signals.map((s) => [s]),
    predictions: signals.map((_, e) => Int32Array.of(e)),
  });
  const [result] = simulate(spec, recording, [parameters], {
    ...(extra.minExit !== undefined ? { minExit: extra.minExit } : {}),
    ...(extra.uniforms ? { uniforms: Float32Array.from(extra.uniforms) } : {}),
  });
  return {
    exitLayer: result!.exitLayer[0]!,
    confidence: result!.confidence[0]!,
    prediction: result!.prediction[0]!,
  };
}
