import { diagnostic } from '../../diagnostics/index.js';
import { resolveExitLayers } from '../exit-layers.js';
import type { CheckRule } from './rule.js';

/** `min_exit` must leave at least one exit that can fire; exits before it are dead and worth a warning. */
export const minExit: CheckRule = {
  name: 'min-exit',
  check(model, ctx) {
    const m = model.policy?.minExit;
    if (!m || !model.exits || !Number.isInteger(m.value) || m.value < 1) return;
    const layers = resolveExitLayers(model.exits.selection, ctx.layerCount(model));
    if (!layers || layers.length === 0) return;
    const last = layers[layers.length - 1]!;
    if (m.value > last) {
      ctx.report(diagnostic('OR2023', { minExit: m.value, last }, { span: m.valueLoc }));
      return;
    }
    const dead = layers.filter((l) => l < m.value);
    if (dead.length > 0 && model.exits.selection.kind === 'ExitList') {
      for (const l of model.exits.selection.layers) {
        if (dead.includes(l.value))
          ctx.report(diagnostic('OR2028', { layer: l.value, minExit: m.value }, { span: l.loc }));
      }
    }
  },
};
