import { ElementType } from '../../ir/index.js';
import type { LegalizePass } from './legalize-pass.js';
import { narrowElementType } from './narrow-element-type.js';

/**
 * int64 → int32 everywhere but shape operands. WebGPU has no int64 kernels (not even a Cast from int64),
 * so the artifact's int64 inputs (token ids, attention mask, PABEE's patience) become int32 inputs, and
 * `exit_layer` is computed in int32 and Cast to int64 once, as the graph's last node.
 */
export const narrowInt64: LegalizePass = {
  name: 'narrow-int64',
  summary: 'Compute in int32 instead of int64; int64 outputs are Cast back at the end.',
  run(model) {
    const s = narrowElementType(model, ElementType.int64, ElementType.int32);
    return {
      modified: s.inputs.length + s.initializers + s.values > 0,
      statistics: {
        'inputs-narrowed': s.inputs.length,
        'initializers-narrowed': s.initializers,
        'values-narrowed': s.values,
        'casts-retargeted': s.casts,
        'outputs-cast-back': s.outputsCastBack.length,
        'constants-saturated': s.saturated,
        'fixed-int64-values': s.fixed,
      },
    };
  },
};
