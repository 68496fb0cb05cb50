import { Builder, type Node, sortTopologically, type Value } from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';
import type { ExitRecord } from './context.js';
import {
  type CacheSlot,
  ConeCopies,
  cacheSlots,
  carryExitHidden,
  onlyIfAnyExited,
  rowMask,
} from './decoder-caches.js';

type Extra = NonNullable<ExitRecord['extras']>[number];

/**
 * A decoder step's caches for the layers an exit skipped. Samples that exited before a layer get, as that
 * layer's new cache entries, either the exit layer's own keys and values (`copy`, DYNAMAX) or the layer's
 * key/value projections of the exit layer's hidden state (`propagate`, CALM), chosen per sample with Where
 * on the layer's own `Concat(past, fresh)`, so no extra copy of the cache is made. When the whole batch
 * has exited, make-conditional's else-branches build the same entries (`ExitRecord.extras`).
 * (`recompute`, which writes nothing for skipped layers and defers them to a later step, is
 * defer-skipped-layers.)
 */
export const fillSkippedCaches: CompilerPass = {
  name: 'fill-skipped-caches',
  summary: 'Fill the caches of skipped decoder layers (copy / propagate), per sample.',
  requires: ['policy-outputs'],
  ensures: ['caches-filled'],
  run(model, ctx) {
    const decoder = ctx.plan.decoder;
    if (!decoder || (decoder.cache !== 'copy' && decoder.cache !== 'propagate'))
      return { modified: false, statistics: { 'filled-caches': 0 } };
    const slots = cacheSlots(ctx);
    if (!slots) return { modified: false, statistics: { 'filled-caches': 0 } };
    const b = new Builder(model, model.graph);
    const layers = ctx.layers ?? [];
    const propagate = decoder.cache === 'propagate';
    // What samples that exited earlier carry into later layers: the exit layer's fresh keys/values (copy)
    // or its hidden state (propagate), kept per sample as of their own exit.
    let carriedKv: Value[] | undefined;
    let carriedHidden: Value | undefined;
    let filled = 0;
    let first = 1;
    const copies = new ConeCopies();
    ctx.exits.forEach((exit, k) => {
      const extras: Extra[] = [];
      const exited = k > 0 ? ctx.exits[k - 1]!.carried?.exited : undefined;
      const kvBefore = carriedKv;
      const hiddenBefore = carriedHidden;
      for (let layerNumber = first; layerNumber <= exit.layer && exited; layerNumber++) {
        const layer = layers[layerNumber - 1]!;
        const own = slots.get(layer)!;
        // Propagated entries are only computed when some sample has left (the fresh ones stand in).
        const propagated = propagate
          ? onlyIfAnyExited(
              b,
              exited,
              `offramp/cache/layer${layerNumber}/propagate`,
              (tb) => projectAll(tb, copies, own, hiddenBefore!),
              () => own.map((slot) => slot.fresh),
            )
          : undefined;
        for (const [s, slot] of own.entries()) {
          const name = `offramp/cache/${slot.present.name}`;
          const stale = propagated ? propagated[s]! : kvBefore![s]!;
          const mask = rowMask(b, exited, 4, `${name}/exited`);
          const mixed = b.op('Where', [mask, stale, slot.fresh], {}, `${name}/mix`);
          slot.concat.inputs[1] = mixed;
          slot.fresh.uses.delete(slot.concat);
          mixed.uses.add(slot.concat);
          filled++;
          extras.push({
            value: slot.present,
            whenSkipped: (eb, before) => {
              const entries = propagate
                ? projectAll(eb, copies, own, before(hiddenBefore!), before)[s]!
                : before(kvBefore![s]!);
              return eb.op('Concat', [slot.past, entries], { axis: axisOf(slot.concat) }, `${name}/skipped`);
            },
          });
        }
      }
      if (k < ctx.exits.length - 1) {
        // The exit layer's entries as this exit leaves them (mixed for samples that left earlier).
        const exitLayer = layers[exit.layer - 1]!;
        if (propagate) {
          const name = `offramp/cache/exit${exit.layer}`;
          carriedHidden = carryExitHidden(b, exitLayer.output, exited, hiddenBefore, name, extras);
        } else {
          const own = slots.get(exitLayer)!.map((slot) => slot.concat.inputs[1]!);
          if (exited) for (const [s, v] of own.entries()) extras.push(forward(v, kvBefore![s]!));
          carriedKv = own;
        }
      }
      exit.extras = extras;
      first = exit.layer + 1;
    });
    // The mixing nodes read the policy's exit flags, emitted after the layers: restore a topological order.
    if (filled > 0) sortTopologically(model.graph);
    return { modified: filled > 0, statistics: { 'filled-caches': filled } };
  },
};

/** A carried value whose stand-in, when its segment is skipped, is the earlier one. */
function forward(value: Value, earlier: Value): Extra {
  return { value, whenSkipped: (eb, before) => eb.op('Identity', [before(earlier)]) };
}

const axisOf = (concat: Node) => Number(concat.intAttribute('axis', 2n));

/**
 * CALM's propagation: the layer's own key and value projections (one shared copy: its norm and QKV MatMul)
 * applied to another hidden state, copied into `b`.
 */
function projectAll(
  b: Builder,
  copies: ConeCopies,
  slots: readonly CacheSlot[],
  hidden: Value,
  before?: (v: Value) => Value,
): Value[] {
  const remap = copies.copy(b, slots[0]!.projection, slots[0]!.layer.input, hidden, before);
  return slots.map((slot) => {
    const v = remap.get(slot.fresh);
    if (!v)
      throw new Error(`'${slot.present.name}': the fresh cache entries are not computed inside the layer`);
    return v;
  });
}
