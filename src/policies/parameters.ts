import { type NumTensor, scalar } from './numeric-ops.js';
import type { PolicySpec } from './spec.js';

/** Parameter values by name: one number, or one per exit for `perExit` parameters. Missing ones take their default. */
export type ParameterValues = Readonly<Record<string, number | readonly number[]>>;

/**
 * The numeric interpretation's parameter source for one setting: scalar tensors of each parameter's declared
 * type, the exit's own element for per-exit values.
 */
export function parameterSource(
  spec: PolicySpec,
  values: ParameterValues,
): (name: string, exitIndex?: number) => NumTensor {
  for (const name of Object.keys(values)) {
    if (!spec.parameters.some((p) => p.name === name))
      throw new Error(`policy '${spec.kind}' has no parameter '${name}'`);
  }
  const cache = new Map<string, NumTensor>();
  return (name, exitIndex) => {
    const decl = spec.parameters.find((p) => p.name === name);
    if (!decl) throw new Error(`policy '${spec.kind}' reads undeclared parameter '${name}'`);
    const value = values[name] ?? decl.default;
    let chosen: number;
    if (typeof value === 'number') chosen = value;
    else {
      if (!decl.perExit) throw new Error(`parameter '${name}' takes one value, not a list`);
      if (exitIndex === undefined || value[exitIndex] === undefined)
        throw new Error(`parameter '${name}' has no value for exit ${exitIndex}`);
      chosen = value[exitIndex]!;
    }
    const key = `${name}\u0000${chosen}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const t = scalar(chosen, decl.dtype);
    cache.set(key, t);
    return t;
  };
}
