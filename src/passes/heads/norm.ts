import type { Builder, Value } from '../../ir/index.js';
import type { HeadWeights } from './head-weights.js';

/** PyTorch's `nn.LayerNorm` default and HF GPT-2's `layer_norm_epsilon`; also Mamba's RMSNorm default. */
const EPSILON = 1e-5;

/**
 * A per-exit norm on [B, H] rows: `layernorm` (`weight`, `bias`; ONNX LayerNormalization, opset 17) or
 * `rmsnorm` (`weight`; x / sqrt(mean(x²) + ε) · w, written out: RMSNormalization only exists from opset 23).
 */
export function exitNorm(
  b: Builder,
  weights: HeadWeights,
  x: Value,
  kind: 'layernorm' | 'rmsnorm',
  key: string,
  hidden: number | undefined,
  name: string,
): Value | undefined {
  const role = `the exit's ${kind}`;
  const scale = weights.tensor(`${key}weight`, [hidden], role);
  if (!scale) return undefined;
  if (kind === 'layernorm') {
    const bias = weights.tensor(`${key}bias`, [hidden], role);
    if (!bias) return undefined;
    return b.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: EPSILON }, name);
  }
  // Opset 17: ReduceMean still takes its axes as an attribute (an input from opset 18).
  const meanSquare = b.op(
    'ReduceMean',
    [b.op('Mul', [x, x], {}, `${name}/square`)],
    { axes: [-1] },
    `${name}/mean`,
  );
  const eps = b.scalar(`${name}/epsilon`, EPSILON, 'float32');
  const rms = b.op('Sqrt', [b.op('Add', [meanSquare, eps], {}, `${name}/add_eps`)], {}, `${name}/rms`);
  return b.op('Mul', [b.op('Div', [x, rms], {}, `${name}/normalized`), scale], {}, name);
}
