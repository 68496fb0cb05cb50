import type { Builder, Value } from '../../ir/index.js';

export type Activation = 'tanh' | 'relu' | 'gelu' | 'sigmoid' | 'silu';

/**
 * An elementwise activation in opset-17 ops. GELU is the exact erf form (PyTorch's `nn.GELU()` default):
 * the `Gelu` op only exists from opset 20, which the target profiles do not emit.
 */
export function activate(b: Builder, x: Value, kind: Activation, name: string): Value {
  switch (kind) {
    case 'tanh':
      return b.op('Tanh', [x], {}, name);
    case 'relu':
      return b.op('Relu', [x], {}, name);
    case 'sigmoid':
      return b.op('Sigmoid', [x], {}, name);
    case 'silu':
      return b.op('Mul', [x, b.op('Sigmoid', [x], {}, `${name}/sigmoid`)], {}, name);
    case 'gelu': {
      const scaled = b.op('Div', [x, b.scalar(`${name}/sqrt2`, Math.SQRT2, 'float32')], {}, `${name}/div`);
      const erf = b.op('Erf', [scaled], {}, `${name}/erf`);
      const onePlus = b.op('Add', [erf, b.scalar(`${name}/one`, 1, 'float32')], {}, `${name}/add`);
      const half = b.op('Mul', [x, b.scalar(`${name}/half`, 0.5, 'float32')], {}, `${name}/half_x`);
      return b.op('Mul', [half, onePlus], {}, name);
    }
  }
}
