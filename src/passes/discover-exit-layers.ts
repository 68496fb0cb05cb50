import { diagnostic } from '../diagnostics/index.js';
import { discoverLayers } from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';

/** Finds the backbone's layers and the cut value after each one; checks the exits against them. */
export const discoverExitLayers: CompilerPass = {
  name: 'discover-exit-layers',
  summary: 'Locate the repeated layers and the hidden-state cut after each one.',
  requires: [],
  ensures: ['layers-known'],
  run(model, ctx) {
    const found = discoverLayers(model, {
      file: ctx.plan.backbone,
      ...(ctx.plan.layerPattern ? { pattern: ctx.plan.layerPattern } : {}),
    });
    ctx.diagnostics.push(...found.diagnostics);
    if (found.layers.length === 0) return { modified: false, statistics: { layers: 0 } };
    for (const layer of ctx.plan.exits) {
      if (layer < 1 || layer > found.layers.length) {
        ctx.diagnostics.push(
          diagnostic(
            'OR3005',
            { layer, layers: found.layers.length },
            { graph: { file: ctx.plan.backbone } },
          ),
        );
      }
    }
    ctx.layers = found.layers;
    return { modified: false, statistics: { layers: found.layers.length } };
  },
};
