import { type NumTensor, scalar, tensor } from './numeric-ops.js';
import type { PolicySpec } from './spec.js';

/** Parameter values by name: one number, or one per exit for `perExit` parameters. Missing ones take their default. */
export type ParameterValues = Readonly<Record<string, number | readonly number[]>>;

/** Where the numeric interpretation reads parameter `name` (at exit `exitIndex` for per-exit ones). */
export type ParameterSource = (name: string, exitIndex?: number) => NumTensor;

function checkNames(spec: PolicySpec, values: ParameterValues): void {
  for (const name of Object.keys(values)) {
    if (!spec.parameters.some((p) => p.name === name))
      throw new Error(`policy '${spec.kind}' has no parameter '${name}'`);
  }
}

/** The value one setting gives parameter `name` at exit `exitIndex`: its own, or the declared default. */
function valueAt(spec: PolicySpec, values: ParameterValues, name: string, exitIndex?: number): number {
  const decl = spec.parameters.find((p) => p.name === name);
  if (!decl) throw new Error(`policy '${spec.kind}' reads undeclared parameter '${name}'`);
  const value = values[name] ?? decl.default;
  if (typeof value === 'number') return value;
  if (!decl.perExit) throw new Error(`parameter '${name}' takes one value, not a list`);
  const chosen = exitIndex === undefined ? undefined : value[exitIndex];
  if (chosen === undefined) throw new Error(`parameter '${name}' has no value for exit ${exitIndex}`);
  return chosen;
}

function dtypeOf(spec: PolicySpec, name: string) {
  return spec.parameters.find((p) => p.name === name)!.dtype;
}

function cached(make: ParameterSource): ParameterSource {
  const cache = new Map<string, NumTensor>();
  return (name, exitIndex) => {
    const key = `${name}\u0000${exitIndex}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const t = make(name, exitIndex);
    cache.set(key, t);
    return t;
  };
}

/** One setting: scalar tensors of each parameter's declared type, which broadcast over the batch. */
export function parameterSource(spec: PolicySpec, values: ParameterValues): ParameterSource {
  checkNames(spec, values);
  return cached((name, exitIndex) => scalar(valueAt(spec, values, name, exitIndex), dtypeOf(spec, name)));
}

/**
 * Several settings replayed side by side in one batch: setting s owns the `lanesPerSetting` rows starting at
 * s·lanesPerSetting, so each parameter is a [settings · lanesPerSetting] vector holding, on every row, its
 * setting's value. Every policy op is elementwise over the batch, so each row computes exactly what a
 * one-setting run computes.
 */
export function laneParameterSource(
  spec: PolicySpec,
  settings: readonly ParameterValues[],
  lanesPerSetting: number,
): ParameterSource {
  for (const values of settings) checkNames(spec, values);
  return cached((name, exitIndex) => {
    const data = new Float64Array(settings.length * lanesPerSetting);
    settings.forEach((values, s) => {
      data.fill(valueAt(spec, values, name, exitIndex), s * lanesPerSetting, (s + 1) * lanesPerSetting);
    });
    return tensor(dtypeOf(spec, name), [data.length], data);
  });
}
