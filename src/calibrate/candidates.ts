import type { ParameterValues, PolicySpec, Recording } from '../policies/index.js';

const steps = (from: number, to: number, step: number) =>
  Array.from({ length: Math.round((to - from) / step) + 1 }, (_, k) => Number((from + k * step).toFixed(6)));

/** Distinct quantiles of the recorded signals: thresholds between observed values, plus "never". */
function signalQuantiles(recording: Recording, count: number): number[] {
  const values = recording.signals
    .flatMap((s) => Array.from(s.data))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (values.length === 0) return [];
  const picks = new Set<number>();
  for (let k = 0; k <= count; k++)
    picks.add(
      Math.fround(values[Math.min(values.length - 1, Math.floor((k / count) * (values.length - 1)))]!),
    );
  return [...picks].sort((a, b) => a - b);
}

/**
 * The settings calibration tries for a policy: every patience, a q / threshold grid, or thresholds at
 * quantiles of the recorded confidence. Per-exit parameters get one shared value per candidate.
 */
export function candidateSettings(spec: PolicySpec, recording: Recording): ParameterValues[] {
  const exits = recording.exitLayers.length;
  const perExit = (name: string, v: number): ParameterValues => {
    const decl = spec.parameters.find((p) => p.name === name);
    return { [name]: decl?.perExit ? Array.from({ length: exits }, () => v) : v };
  };
  switch (spec.kind) {
    case 'pabee':
      return Array.from({ length: exits }, (_, t) => ({ patience: t }));
    case 'qexit':
      return steps(0.05, 0.95, 0.05).map((q) => ({ q }));
    case 'jei':
      return steps(0.05, 0.95, 0.05).map((threshold) => ({ threshold }));
    case 'maxprob':
    case 'margin':
    case 'entropy':
      return [...signalQuantiles(recording, 60), spec.kind === 'entropy' ? 0 : 1.01].map((v) =>
        perExit('threshold', v),
      );
    default:
      return spec.parameters.length === 0 ? [{}] : [];
  }
}
