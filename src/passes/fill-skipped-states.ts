import { diagnostic } from '../diagnostics/index.js';
import {
  Builder,
  type Graph,
  type Layer,
  type Node,
  readsOf,
  sortTopologically,
  type Value,
} from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';
import type { CompileContext, ExitRecord } from './context.js';
import {
  ConeCopies,
  carryExitHidden,
  checkCacheShapes,
  hasKeyValueCache,
  layerCone,
  onlyIfAnyExited,
  rowMask,
} from './decoder-caches.js';
import { stateKind, stateName } from './name-templates.js';

/**
 * One recurrent state (a Mamba block's conv or SSM state, a backbone layer's or a confidence classifier's):
 * `past` in, `present` out.
 */
interface StateSlot {
  /** The hidden state the block reads (the layer's input; the exit layer's output for a classifier). */
  readonly input: Value;
  readonly past: Value;
  readonly present: Value;
  /** The nodes that compute `present` from `input` and `past`, in order: for `update`. */
  readonly cone: readonly Node[];
}

type Extra = NonNullable<ExitRecord['extras']>[number];

/**
 * Every layer's state slots, paired by name: the input the `past` pattern names (`past_conv.{i}` for
 * `past_*.{i}`) goes with the output the `present` pattern names for the same kind. Each layer must have one
 * output per input, all paired; anything else is OR5002.
 */
function stateSlots(ctx: CompileContext): Map<Layer, StateSlot[]> | undefined {
  const decoder = ctx.plan.decoder!;
  const slots = new Map<Layer, StateSlot[]>();
  const keyValue = ctx.layers?.find(hasKeyValueCache);
  if (keyValue) {
    ctx.diagnostics.push(
      diagnostic(
        'OR5009',
        {
          strategy: decoder.cache,
          reason: `layer ${keyValue.index + 1} has key/value caches that grow by Concat(past, new entries), not recurrent states: use cache: copy, propagate or recompute`,
        },
        { graph: { file: ctx.plan.backbone, tensor: keyValue.stateInputs[0]?.name ?? '' } },
      ),
    );
    return undefined;
  }
  for (const layer of ctx.layers ?? []) {
    const pairs: { past: Value; present: Value }[] = [];
    for (const past of layer.stateInputs) {
      const kind = stateKind(decoder.past, layer.index, past.name);
      const presentName = kind === undefined ? undefined : stateName(decoder.present, layer.index, kind);
      const present = layer.stateOutputs.find((v) => v.name === presentName);
      if (!present) {
        ctx.diagnostics.push(
          diagnostic(
            'OR5002',
            {
              what: `a recurrent state input '${past.name}' of layer ${layer.index + 1} without its output${presentName ? ` '${presentName}'` : ''} (decode block past/present patterns '${decoder.past}' / '${decoder.present}')`,
            },
            { graph: { file: ctx.plan.backbone, tensor: past.name } },
          ),
        );
        return undefined;
      }
      if (!checkCacheShapes(ctx, layer, past, present)) return undefined;
      pairs.push({ past, present });
    }
    if (pairs.length === 0 || pairs.length !== layer.stateOutputs.length) {
      ctx.diagnostics.push(
        diagnostic(
          'OR5002',
          {
            what: `a decoder step whose layer ${layer.index + 1} has ${layer.stateInputs.length} state inputs and ${layer.stateOutputs.length} state outputs, not one output per input`,
          },
          { graph: { file: ctx.plan.backbone, node: layer.output.producer?.name ?? '' } },
        ),
      );
      return undefined;
    }
    // One cone for all of the layer's states: `update` copies the shared part (norm, in_proj) once.
    const cone = layerCone(
      layer,
      pairs.map((p) => p.present),
    );
    slots.set(
      layer,
      pairs.map((p) => ({ input: layer.input, ...p, cone })),
    );
  }
  return slots;
}

/** The nodes between `input` and `value` (constants included), in graph order: a classifier's state update. */
function coneFrom(input: Value, values: readonly Value[], graph: Graph): Node[] {
  const needed = new Set<Node>();
  const stack = [...values];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === input || !v.producer || needed.has(v.producer)) continue;
    needed.add(v.producer);
    for (const read of readsOf(v.producer)) stack.push(read);
  }
  return graph.nodes.filter((n) => needed.has(n));
}

/** The Mamba confidence classifier's state slots at an exit (conv, then SSM), if it has its own state. */
function classifierSlots(exit: ExitRecord, graph: Graph): StateSlot[] {
  const state = exit.classifierState;
  if (!state) return [];
  const cone = coneFrom(state.input, [state.present.conv, state.present.ssm], graph);
  return (['conv', 'ssm'] as const).map((kind) => ({
    input: state.input,
    past: state.past[kind],
    present: state.present[kind],
    cone,
  }));
}

/** The block's own state update applied to another hidden state (a skipped block's `update`), copied into `b`. */
function advance(
  b: Builder,
  copies: ConeCopies,
  slot: StateSlot,
  hidden: Value,
  before?: (v: Value) => Value,
): Value {
  const advanced = copies.copy(b, slot.cone, slot.input, hidden, before).get(slot.present);
  if (!advanced) throw new Error(`the state '${slot.present.name}' is not computed inside its layer`);
  return advanced;
}

/**
 * `update`'s states for samples that left before this segment, per slot: each block's state update applied
 * to the hidden state they exited with, only computed when some sample has left (the pasts stand in).
 */
function staleByUpdate(
  b: Builder,
  copies: ConeCopies,
  slots: readonly StateSlot[],
  exited: Value,
  hidden: Value,
  name: string,
): Map<StateSlot, Value> {
  if (slots.length === 0) return new Map();
  const stale = onlyIfAnyExited(
    b,
    exited,
    `${name}/update`,
    (tb) => slots.map((slot) => advance(tb, copies, slot, hidden)),
    () => slots.map((slot) => slot.past),
  );
  return new Map(slots.map((slot, k) => [slot, stale[k]!]));
}

/**
 * A recurrent decoder step's states for the layers an exit skipped (a Mamba backbone's conv and SSM states).
 * Samples that exited before a layer either `keep` that layer's states as they were (the layer never saw the
 * token) or `update` them with the layer's own state update applied to the hidden state the sample exited
 * with (in_proj → conv shift → selective scan, no output projection), as DYNAMAX describes for Mamba
 * backbones; chosen per sample with Where on the layer's present state, whose graph output keeps its name.
 * When the whole batch has exited, make-conditional's else-branches build the same states
 * (`ExitRecord.extras`).
 */
export const fillSkippedStates: CompilerPass = {
  name: 'fill-skipped-states',
  summary: 'Fill the recurrent states of skipped decoder layers (keep / update), per sample.',
  requires: ['policy-outputs'],
  ensures: ['states-filled'],
  run(model, ctx) {
    const decoder = ctx.plan.decoder;
    if (!decoder || (decoder.cache !== 'keep' && decoder.cache !== 'update'))
      return { modified: false, statistics: { 'filled-states': 0 } };
    const slots = stateSlots(ctx);
    if (!slots) return { modified: false, statistics: { 'filled-states': 0 } };
    // Taken before any node moves: a classifier's cone, like a layer's, is copied for `update`.
    const classifiers = new Map(ctx.exits.map((e) => [e, classifierSlots(e, model.graph)]));
    const copies = new ConeCopies();
    const b = new Builder(model, model.graph);
    const layers = ctx.layers ?? [];
    const update = decoder.cache === 'update';
    // The hidden state each sample exited with, as of its own exit (update only).
    let carriedHidden: Value | undefined;
    let filled = 0;
    let first = 1;
    ctx.exits.forEach((exit, k) => {
      const extras: Extra[] = [];
      const exited = k > 0 ? ctx.exits[k - 1]!.carried?.exited : undefined;
      const hiddenBefore = carriedHidden;
      // The layers of this exit's segment, then the exit's own confidence classifier: a sample that left
      // at an earlier exit never reached them.
      const segmentSlots = [
        ...layers.slice(first - 1, exit.layer).flatMap((layer) => slots.get(layer)!),
        ...classifiers.get(exit)!,
      ];
      if (exited) {
        const stale = update
          ? staleByUpdate(b, copies, segmentSlots, exited, hiddenBefore!, `offramp/state/exit${exit.layer}`)
          : new Map(segmentSlots.map((slot) => [slot, slot.past]));
        for (const slot of segmentSlots) {
          const name = `offramp/state/${slot.present.name}`;
          const rank = slot.past.type?.shape?.length ?? 3;
          const fresh = slot.present;
          const mixed = b.op(
            'Where',
            [rowMask(b, exited, rank, `${name}/exited`), stale.get(slot)!, fresh],
            {},
            `${name}/mix`,
          );
          // The graph output keeps its name: the layer's own state becomes `<name>/fresh`.
          const outputName = fresh.name;
          fresh.name = `${outputName}/fresh`;
          mixed.name = outputName;
          mixed.type = fresh.type;
          model.graph.outputs = model.graph.outputs.map((v) => (v === fresh ? mixed : v));
          filled++;
          extras.push({
            value: mixed,
            whenSkipped: (eb, before) =>
              update
                ? advance(eb, copies, slot, before(hiddenBefore!), before)
                : eb.op('Identity', [slot.past], {}, `${name}/kept`),
          });
        }
      }
      if (update && k < ctx.exits.length - 1) {
        const own = layers[exit.layer - 1]!.output;
        carriedHidden = carryExitHidden(
          b,
          own,
          exited,
          hiddenBefore,
          `offramp/state/exit${exit.layer}`,
          extras,
        );
      }
      exit.extras = [...(exit.extras ?? []), ...extras];
      first = exit.layer + 1;
    });
    // The mixing nodes read the policy's exit flags, emitted after the layers: restore a topological order.
    if (filled > 0) sortTopologically(model.graph);
    return { modified: filled > 0, statistics: { 'filled-states': filled } };
  },
};
