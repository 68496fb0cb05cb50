import type { Builder, Value } from '../../ir/index.js';
import { type Activation, activate } from './activation.js';
import type { HeadWeights } from './head-weights.js';

/**
 * PyTorch's `Linear` on rows [B, in]: `x·Wᵀ + b` as one Gemm on the stored [out, in] weight. `out`
 * undefined takes the size the file has; the bias must match it.
 */
export function dense(
  b: Builder,
  weights: HeadWeights,
  x: Value,
  key: string,
  size: { out?: number | undefined; in: number | undefined },
  role: string,
  name: string,
): Value | undefined {
  const w = weights.tensor(`${key}weight`, [size.out, size.in], role);
  const bias = w ? weights.tensor(`${key}bias`, [w.type?.shape?.[0] as number], role) : undefined;
  if (!w || !bias) return undefined;
  return b.op('Gemm', [x, w, bias], { transB: 1 }, name);
}

/**
 * An MLP head: `blocks` × (Linear → activation) under `hidden.{k}.`, then `out.` to the classes, the layout
 * `mlpTensors` in the linker checks.
 */
export function mlpClassifier(
  b: Builder,
  weights: HeadWeights,
  pooled: Value,
  key: string,
  mlp: { readonly blocks: number; readonly activation: Activation },
  hidden: number | undefined,
  name: string,
): Value | undefined {
  let x: Value | undefined = pooled;
  let width = hidden;
  for (let k = 0; k < mlp.blocks && x; k++) {
    const prefix = `${key}hidden.${k}.`;
    const linear = dense(b, weights, x, prefix, { in: width }, 'an MLP head block', `${name}/hidden${k}`);
    width = weights.shape(`${prefix}weight`)?.[0];
    x = linear && activate(b, linear, mlp.activation, `${name}/hidden${k}/${mlp.activation}`);
  }
  return x && dense(b, weights, x, `${key}out.`, { in: width }, 'an MLP head output', `${name}/out`);
}
