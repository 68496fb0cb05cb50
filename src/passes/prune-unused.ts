import { allGraphs, type Graph } from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';

/**
 * Drops initializers no node in any scope reads (the backbone's own classifier once an exit head
 * replaced it, constants a lowering did not need). Uses from subgraphs count: a branch may be the only
 * reader of an outer initializer.
 */
export const pruneUnused: CompilerPass = {
  name: 'prune-unused',
  summary: 'Remove initializers that no node reads.',
  requires: ['layers-skipped'],
  ensures: ['no-unused-initializers'],
  run(model) {
    const read = new Set<string>();
    for (const g of allGraphs(model.graph)) {
      for (const n of g.nodes) for (const v of n.inputs) if (v) read.add(v.name);
      for (const v of g.outputs) read.add(v.name);
    }
    let removed = 0;
    const prune = (g: Graph) => {
      for (const [name, init] of [...g.initializers]) {
        if (read.has(name) || g.inputs.includes(init.value)) continue;
        g.initializers.delete(name);
        removed++;
      }
    };
    for (const g of allGraphs(model.graph)) prune(g);
    return { modified: removed > 0, statistics: { 'removed-initializers': removed } };
  },
};
