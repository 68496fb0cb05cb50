import { diagnostic } from '../diagnostics/index.js';
import { Builder, type Layer, type Node, sortTopologically, type Value } from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';
import type { CompileContext, ExitRecord } from './context.js';
import { keyFor } from './insert-exit-heads.js';

/** One cache tensor of one layer: `present = Concat(past, fresh)` along the sequence axis. */
interface CacheSlot {
  readonly layer: Layer;
  readonly past: Value;
  readonly present: Value;
  readonly concat: Node;
  /** This step's keys or values, as the layer computes them. */
  readonly fresh: Value;
  /** The layer's nodes from its input to `fresh` (norm, projection, head split), in order: for propagate. */
  readonly projection: readonly Node[];
}

type Extra = NonNullable<ExitRecord['extras']>[number];

/**
 * The cache slots of every layer, by the `decode` block's name prefixes. A slot must be the exporter's
 * `Concat(past, fresh)`; anything else is reported (OR5002) rather than guessed.
 */
function cacheSlots(ctx: CompileContext): Map<Layer, CacheSlot[]> | undefined {
  const decoder = ctx.plan.decoder!;
  const slots = new Map<Layer, CacheSlot[]>();
  for (const layer of ctx.layers ?? []) {
    const own: CacheSlot[] = [];
    for (const kind of ['key', 'value']) {
      const pastName = `${keyFor(decoder.past, layer.index)}${kind}`;
      const presentName = `${keyFor(decoder.present, layer.index)}${kind}`;
      const past = layer.stateInputs.find((v) => v.name === pastName);
      const present = layer.stateOutputs.find((v) => v.name === presentName);
      const concat = present?.producer;
      const fresh = concat?.op === 'Concat' && concat.inputs[0] === past ? concat.inputs[1] : undefined;
      if (!past || !present || !concat || !fresh) {
        const what = !past
          ? `a decoder step without the cache input '${pastName}' of layer ${layer.index + 1}`
          : !present
            ? `a decoder step without the cache output '${presentName}' of layer ${layer.index + 1}`
            : `a cache output '${presentName}' that is not Concat('${pastName}', new entries)`;
        ctx.diagnostics.push(
          diagnostic('OR5002', { what }, { graph: { file: ctx.plan.backbone, tensor: presentName } }),
        );
        return undefined;
      }
      own.push({ layer, past, present, concat, fresh, projection: projectionOf(layer, fresh) });
    }
    slots.set(layer, own);
  }
  return slots;
}

/** A per-sample flag [B] shaped to select whole rows of a rank-`rank` tensor in Where. */
function rowMask(b: Builder, exited: Value, rank: number, name: string): Value {
  const axes = Array.from({ length: rank - 1 }, (_, k) => BigInt(k + 1));
  return b.op(
    'Unsqueeze',
    [exited, b.constant(`${name}/axes`, BigInt64Array.from(axes), [axes.length])],
    {},
    name,
  );
}

/**
 * A decoder step's caches for the layers an exit skipped. Samples that exited before a layer get, as that
 * layer's new cache entries, either the exit layer's own keys and values (`copy`, DYNAMAX) or the layer's
 * key/value projections of the exit layer's hidden state (`propagate`, CALM), chosen per sample with Where
 * on the layer's own `Concat(past, fresh)`, so no extra copy of the cache is made. When the whole batch
 * has exited, make-conditional's else-branches build the same entries (`ExitRecord.extras`).
 * (`recompute`, deferring skipped layers to a later step, is refused when the plan is made: OR5002.)
 */
export const fillSkippedCaches: CompilerPass = {
  name: 'fill-skipped-caches',
  summary: 'Fill the caches of skipped decoder layers (copy / propagate), per sample.',
  requires: ['policy-outputs'],
  ensures: ['caches-filled'],
  run(model, ctx) {
    const decoder = ctx.plan.decoder;
    if (!decoder) return { modified: false, statistics: { 'filled-caches': 0 } };
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
    ctx.exits.forEach((exit, k) => {
      const extras: Extra[] = [];
      const exited = k > 0 ? ctx.exits[k - 1]!.carried?.exited : undefined;
      const kvBefore = carriedKv;
      const hiddenBefore = carriedHidden;
      for (let layerNumber = first; layerNumber <= exit.layer; layerNumber++) {
        const layer = layers[layerNumber - 1]!;
        for (const [s, slot] of slots.get(layer)!.entries()) {
          if (!exited) continue;
          const name = `offramp/cache/${slot.present.name}`;
          const stale = propagate ? projectFresh(b, slot, hiddenBefore!, name) : kvBefore![s]!;
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
                ? projectFresh(eb, slot, before(hiddenBefore!), `${name}/skipped`, before)
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
          const own = exitLayer.output;
          carriedHidden = exited
            ? b.op(
                'Where',
                [rowMask(b, exited, 3, `offramp/cache/exit${exit.layer}/exited`), hiddenBefore!, own],
                {},
                `offramp/cache/exit${exit.layer}/hidden`,
              )
            : own;
          if (exited) extras.push(forward(carriedHidden, hiddenBefore!));
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
 * The nodes between a layer's input and its fresh cache entries: the layer's own, plus constant-only nodes
 * wherever the exporter put them (it shares identical constants across layer scopes). Taken before any
 * node moves into a branch, so the copy can be made anywhere.
 */
function projectionOf(layer: Layer, fresh: Value): Node[] {
  const inside = new Set(layer.nodes);
  const picked = new Set<Node>();
  const constant = new Map<Value, boolean>();
  const isConstant = (v: Value): boolean => {
    const known = constant.get(v);
    if (known !== undefined) return known;
    const p = v.producer;
    const result = p ? p.inputs.every((x) => !x || isConstant(x)) : v.graph.initializers.has(v.name);
    constant.set(v, result);
    return result;
  };
  const stack = [fresh];
  while (stack.length > 0) {
    const v = stack.pop()!;
    const node = v.producer;
    if (!node || v === layer.input || picked.has(node)) continue;
    if (!inside.has(node) && !isConstant(v)) continue;
    picked.add(node);
    for (const input of node.inputs) if (input) stack.push(input);
  }
  const order = new Map(layer.input.graph.nodes.map((n, k) => [n, k]));
  return [...picked].sort((x, y) => order.get(x)! - order.get(y)!);
}

/** CALM's propagation: the layer's own key or value projection applied to another hidden state, copied into `b`. */
function projectFresh(
  b: Builder,
  slot: CacheSlot,
  hidden: Value,
  name: string,
  before: (v: Value) => Value = (v) => v,
): Value {
  // The layer's input may by now be read through the If that carries it (`before`): both stand for it.
  const input = slot.layer.input;
  const remap = b.cloneNodes(
    slot.projection,
    new Map([
      [input, hidden],
      [before(input), hidden],
    ]),
  );
  const projected = remap.get(slot.fresh);
  if (!projected) throw new Error(`${name}: the fresh cache entries are not computed inside the layer`);
  return projected;
}
