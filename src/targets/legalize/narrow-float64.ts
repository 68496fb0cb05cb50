import { ElementType } from '../../ir/index.js';
import type { LegalizePass } from './legalize-pass.js';
import { narrowElementType } from './narrow-element-type.js';

/**
 * float64 → float32. Policies that accumulate probabilities (PALBERT's Q-exit: 1 − ∏(1 − λ), cumulative
 * sums compared with a threshold) do so in float64 on the CPU; WebGPU has no float64. In float32 a
 * sample whose accumulated value lies within ~1e-7 of the threshold can exit one layer earlier or later
 * than on the CPU; the target test measures how often that happens on the fixture. float64 inputs (the
 * `offramp.q` threshold) become float32 inputs.
 */
export const narrowFloat64: LegalizePass = {
  name: 'narrow-float64',
  summary: 'Compute in float32 instead of float64; float64 outputs are Cast back at the end.',
  run(model) {
    const s = narrowElementType(model, ElementType.float64, ElementType.float32);
    return {
      modified: s.inputs.length + s.initializers + s.values > 0,
      statistics: {
        'inputs-narrowed': s.inputs.length,
        'initializers-narrowed': s.initializers,
        'values-narrowed': s.values,
        'casts-retargeted': s.casts,
        'outputs-cast-back': s.outputsCastBack.length,
        'constants-saturated': s.saturated,
      },
    };
  },
};
