import type { Builder, Value } from '../../ir/index.js';
import { type Activation, activate } from './activation.js';
import type { HeadWeights } from './head-weights.js';

/** `Linear(H → C)` on the pooled vector [B, H]: PyTorch's `x·Wᵀ + b`, one Gemm. */
export function linearClassifier(
  b: Builder,
  weights: HeadWeights,
  pooled: Value,
  key: string,
  hidden: number | undefined,
  name: string,
): Value | undefined {
  const w = weights.tensor(`${key}weight`, [undefined, hidden], 'the classifier');
  const bias = w ? weights.tensor(`${key}bias`, [w.type?.shape?.[0] as number], 'the classifier') : undefined;
  if (!w || !bias) return undefined;
  return b.op('Gemm', [pooled, w, bias], { transB: 1 }, name);
}

/** The BERT pooler shared by all exits: `tanh(Linear(H → H))`. */
export function bertPooler(
  b: Builder,
  weights: HeadWeights,
  pooled: Value,
  key: string,
  hidden: number | undefined,
  name: string,
): Value | undefined {
  const w = weights.tensor(`${key}weight`, [hidden, hidden], 'the pooler');
  const bias = weights.tensor(`${key}bias`, [hidden], 'the pooler');
  if (!w || !bias) return undefined;
  return b.op('Tanh', [b.op('Gemm', [pooled, w, bias], { transB: 1 }, name)], {}, `${name}_tanh`);
}

/**
 * An MLP head: `blocks` × (Linear → activation) of width D under `hidden.{k}.`, then `out.` to the classes,
 * the layout `mlpTensors` in the linker checks.
 */
export function mlpClassifier(
  b: Builder,
  weights: HeadWeights,
  pooled: Value,
  key: string,
  blocks: number,
  activation: Activation,
  hidden: number | undefined,
  name: string,
): Value | undefined {
  let x = pooled;
  let width = hidden;
  for (let k = 0; k < blocks; k++) {
    const prefix = `${key}hidden.${k}.`;
    const w = weights.tensor(`${prefix}weight`, [undefined, width], 'an MLP head block');
    if (!w) return undefined;
    width = w.type?.shape?.[0] as number;
    const bias = weights.tensor(`${prefix}bias`, [width], 'an MLP head block');
    if (!bias) return undefined;
    const linear = b.op('Gemm', [x, w, bias], { transB: 1 }, `${name}/hidden${k}`);
    x = activate(b, linear, activation, `${name}/hidden${k}/${activation}`);
  }
  const w = weights.tensor(`${key}out.weight`, [undefined, width], 'an MLP head output');
  const bias = w
    ? weights.tensor(`${key}out.bias`, [w.type?.shape?.[0] as number], 'an MLP head output')
    : undefined;
  if (!w || !bias) return undefined;
  return b.op('Gemm', [x, w, bias], { transB: 1 }, `${name}/out`);
}
