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
  carryExitHidden,
  checkCacheShapes,
  constantChecker,
  hasKeyValueCache,
  onlyIfAnyExited,
  rowMask,
} from './decoder-caches.js';

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
 * A recurrent state's name from its pattern: `{i}` is the 0-based layer, `*` the state's kind (`conv`, `ssm`);
 * a pattern without `*` is a prefix the kind follows (`past_key_values.{i}.` + `key`).
 */
export function stateName(pattern: string, layer: number, kind: string): string {
  const withKind = pattern.includes('*') ? pattern : `${pattern}*`;
  return withKind.replaceAll('{i}', String(layer)).replace('*', kind);
}

/** The kind a state name has under `pattern` for `layer`, or undefined when it does not match. */
export function stateKind(pattern: string, layer: number, name: string): string | undefined {
  const [before, after] = stateName(pattern, layer, '\u0000').split('\u0000') as [string, string];
  if (!name.startsWith(before) || !name.endsWith(after) || name.length <= before.length + after.length)
    return undefined;
  return name.slice(before.length, name.length - after.length);
}

/**
 * Every layer's state slots, paired by name: the input the `past` pattern names (`past_conv.{i}` for
 * `past_*.{i}`) goes with the output the `present` pattern names for the same kind. Each layer must have one
 * output per input, all paired; anything else is OR5002.
 */
function stateSlots(ctx: CompileContext, graph: Graph): Map<Layer, StateSlot[]> | undefined {
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
    const own: StateSlot[] = [];
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
      own.push({ input: layer.input, past, present, cone: [] });
    }
    // One cone for all of the layer's states: `update` copies the shared part (norm, in_proj) once.
    const cone = coneOf(
      layer,
      own.map((slot) => slot.present),
      graph,
    );
    own.splice(0, own.length, ...own.map((slot) => ({ ...slot, cone })));
    if (own.length === 0 || own.length !== layer.stateOutputs.length) {
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
    slots.set(layer, own);
  }
  return slots;
}

/**
 * The nodes `value` depends on within its layer (captures of Loop/If bodies included), plus constant-only
 * nodes wherever the exporter put them (shared weights behind an Identity, a Loop's empty sequence), in graph
 * order. Taken before any node moves into a branch, so the copy can be made anywhere.
 */
function coneOf(layer: Layer, values: readonly Value[], graph: Graph): Node[] {
  const inside = new Set(layer.nodes);
  const isConstant = constantChecker();
  const needed = new Set<Node>();
  const stack = [...values];
  while (stack.length > 0) {
    const v = stack.pop()!;
    const producer = v.producer;
    if (!producer || needed.has(producer) || !(inside.has(producer) || isConstant(v))) continue;
    needed.add(producer);
    for (const read of readsOf(producer)) stack.push(read);
  }
  return graph.nodes.filter((n) => needed.has(n));
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

/** Copies made of each block's state update, by graph and hidden state: one per block, not one per state. */
type Copies = Map<Graph, Map<readonly Node[], Map<Value, Map<Value, Value>>>>;

/** The layer's own state update applied to another hidden state (a skipped block's `update`), copied into `b`. */
function advance(
  b: Builder,
  copies: Copies,
  slot: StateSlot,
  hidden: Value,
  before: (v: Value) => Value = (v) => v,
): Value {
  const byCone = copies.get(b.graph) ?? new Map<readonly Node[], Map<Value, Map<Value, Value>>>();
  copies.set(b.graph, byCone);
  const byHidden = byCone.get(slot.cone) ?? new Map<Value, Map<Value, Value>>();
  byCone.set(slot.cone, byHidden);
  let remap = byHidden.get(hidden);
  if (!remap) {
    // The block's input may by now be read through the If that carries it (`before`): both stand for it.
    const input = slot.input;
    remap = b.cloneNodes(
      slot.cone,
      new Map([
        [input, hidden],
        [before(input), hidden],
      ]),
    );
    byHidden.set(hidden, remap);
  }
  const advanced = remap.get(slot.present);
  if (!advanced) throw new Error(`the state '${slot.present.name}' is not computed inside its layer`);
  return advanced;
}

/**
 * `update`'s states for samples that left before this segment, per slot: each block's state update applied
 * to the hidden state they exited with, only computed when some sample has left (the pasts stand in).
 */
function staleByUpdate(
  b: Builder,
  copies: Copies,
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
    const slots = stateSlots(ctx, model.graph);
    if (!slots) return { modified: false, statistics: { 'filled-states': 0 } };
    // Taken before any node moves: a classifier's cone, like a layer's, is copied for `update`.
    const classifiers = new Map(ctx.exits.map((e) => [e, classifierSlots(e, model.graph)]));
    const copies: Copies = new Map();
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
