import { diagnostic } from '../diagnostics/index.js';
import {
  type Builder,
  ElementType,
  type Graph,
  type Layer,
  type Node,
  readsOf,
  type Value,
} from '../ir/index.js';
import type { CompileContext, ExitRecord } from './context.js';
import { keyFor } from './name-templates.js';

/** One cache tensor of one layer: `present = Concat(past, fresh)` along the sequence axis. */
export interface CacheSlot {
  readonly layer: Layer;
  readonly past: Value;
  readonly present: Value;
  readonly concat: Node;
  /** This step's keys or values, as the layer computes them. */
  readonly fresh: Value;
  /** The layer's nodes from its input to `fresh` (norm, projection, head split), in order: for propagate. */
  readonly projection: readonly Node[];
}

/**
 * The cache slots of every layer of a decoder step, by the `decode` block's name prefixes (key, then value).
 * A slot must be the exporter's `Concat(past, fresh)`; anything else is reported (OR5002) rather than guessed.
 */
export function cacheSlots(ctx: CompileContext): Map<Layer, CacheSlot[]> | undefined {
  const decoder = ctx.plan.decoder!;
  const slots = new Map<Layer, CacheSlot[]>();
  const recurrent = ctx.layers?.find((l) => l.stateInputs.length > 0 && !hasKeyValueCache(l));
  if (recurrent) {
    const names = recurrent.stateInputs.map((v) => `'${v.name}'`).join(', ');
    ctx.diagnostics.push(
      diagnostic(
        'OR5009',
        {
          strategy: decoder.cache,
          reason: `layer ${recurrent.index + 1} carries recurrent states (${names}), not key/value caches that grow by Concat: use cache: keep or cache: update`,
        },
        { graph: { file: ctx.plan.backbone, tensor: recurrent.stateInputs[0]!.name } },
      ),
    );
    return undefined;
  }
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
      if (!checkCacheShapes(ctx, layer, past, present, Number(concat.intAttribute('axis', 2n))))
        return undefined;
      own.push({ layer, past, present, concat, fresh, projection: [] });
    }
    // One projection for the layer's keys and values: propagate copies the shared norm and QKV MatMul once.
    const projection = layerCone(
      layer,
      own.map((slot) => slot.fresh),
    );
    slots.set(
      layer,
      own.map((slot) => ({ ...slot, projection })),
    );
  }
  return slots;
}

const shapeText = (v: Value) =>
  v.type?.shape ? `[${v.type.shape.map((d) => d ?? '?').join(', ')}]` : '(no declared shape)';

/**
 * The declared shapes of a cache's input and output agree: equal everywhere (a recurrent state), or
 * everywhere but the axis the new entries are concatenated on (key/value caches). Reports OR5010 otherwise,
 * since the runtime feeds each step's output back as the next step's input.
 */
export function checkCacheShapes(
  ctx: CompileContext,
  layer: Layer,
  past: Value,
  present: Value,
  growsOnAxis?: number,
): boolean {
  const a = past.type?.shape;
  const b = present.type?.shape;
  if (!a || !b) return true;
  const rank = a.length;
  const axis = growsOnAxis === undefined ? undefined : growsOnAxis < 0 ? growsOnAxis + rank : growsOnAxis;
  const reason =
    a.length !== b.length
      ? `rank ${a.length} vs ${b.length}`
      : a
          .map((d, k) => {
            if (k === axis || d === b[k]) return undefined;
            // Symbolic and numeric sizes can only be compared when both are numbers.
            if (typeof d === 'number' && typeof b[k] === 'number') return `axis ${k}: ${d} vs ${b[k]}`;
            return undefined;
          })
          .find((r) => r !== undefined);
  if (!reason) return true;
  ctx.diagnostics.push(
    diagnostic(
      'OR5010',
      {
        layer: layer.index + 1,
        past: past.name,
        pastShape: shapeText(past),
        present: present.name,
        presentShape: shapeText(present),
        reason,
      },
      { graph: { file: ctx.plan.backbone, tensor: present.name } },
    ),
  );
  return false;
}

/** Whether some state output of the layer is the exporter's `Concat(past, new entries)` of a state input. */
export function hasKeyValueCache(layer: Layer): boolean {
  return layer.stateOutputs.some(
    (v) => v.producer?.op === 'Concat' && layer.stateInputs.includes(v.producer.inputs[0] as Value),
  );
}

/** Whether `v` is computed from initializers and Constant nodes alone (no graph input in its cone). */
export function constantChecker(): (v: Value) => boolean {
  const constant = new Map<Value, boolean>();
  const isConstant = (v: Value): boolean => {
    const known = constant.get(v);
    if (known !== undefined) return known;
    const p = v.producer;
    const result = p ? p.inputs.every((x) => !x || isConstant(x)) : v.graph.initializers.has(v.name);
    constant.set(v, result);
    return result;
  };
  return isConstant;
}

/**
 * The nodes `values` depend on between the layer's input and them: the layer's own (captures of Loop/If
 * bodies included), plus constant-only nodes wherever the exporter put them (it shares identical constants
 * across layer scopes, puts shared weights behind an Identity, a Loop's empty sequence outside any scope),
 * in graph order. Taken before any node moves into a branch, so the copy can be made anywhere.
 */
export function layerCone(layer: Layer, values: readonly Value[]): Node[] {
  const inside = new Set(layer.nodes);
  const isConstant = constantChecker();
  const picked = new Set<Node>();
  const stack = [...values];
  while (stack.length > 0) {
    const v = stack.pop()!;
    const node = v.producer;
    if (!node || v === layer.input || picked.has(node)) continue;
    if (!inside.has(node) && !isConstant(v)) continue;
    picked.add(node);
    for (const read of readsOf(node)) stack.push(read);
  }
  return layer.input.graph.nodes.filter((n) => picked.has(n));
}

/**
 * Copies of a block's cone applied to another hidden state (CALM's propagated keys/values, a Mamba block's
 * updated states): one copy per graph, cone and hidden state, so the values one cone computes (a layer's
 * keys and values, a block's conv and SSM state) share it.
 */
export class ConeCopies {
  private readonly made = new Map<Graph, Map<readonly Node[], Map<Value, Map<Value, Value>>>>();

  /**
   * `cone`, which reads `input`, copied into `b` with `hidden` in its place; the map from each original
   * value to its copy. `before` maps a value to what carries it now (make-conditional's If outputs).
   */
  copy(
    b: Builder,
    cone: readonly Node[],
    input: Value,
    hidden: Value,
    before: (v: Value) => Value = (v) => v,
  ): Map<Value, Value> {
    const byCone = this.made.get(b.graph) ?? new Map<readonly Node[], Map<Value, Map<Value, Value>>>();
    this.made.set(b.graph, byCone);
    const byHidden = byCone.get(cone) ?? new Map<Value, Map<Value, Value>>();
    byCone.set(cone, byHidden);
    let remap = byHidden.get(hidden);
    if (!remap) {
      // The block's input may by now be read through the If that carries it (`before`): both stand for it.
      remap = b.cloneNodes(
        cone,
        new Map([
          [input, hidden],
          [before(input), hidden],
        ]),
      );
      byHidden.set(hidden, remap);
    }
    return remap;
  }
}

/** A per-sample flag [B] shaped to select whole rows of a rank-`rank` tensor in Where. */
export function rowMask(b: Builder, exited: Value, rank: number, name: string): Value {
  const axes = Array.from({ length: rank - 1 }, (_, k) => BigInt(k + 1));
  return b.op(
    'Unsqueeze',
    [exited, b.constant(`${name}/axes`, BigInt64Array.from(axes), [axes.length])],
    {},
    name,
  );
}

/**
 * The hidden state each sample exited with, as of this exit: the exit layer's output for samples still
 * running, what they carried before for samples that left earlier (`exited`). With an earlier carry, its
 * stand-in when the whole batch has left is that earlier value (an else-branch extra, pushed to `extras`).
 */
export function carryExitHidden(
  b: Builder,
  own: Value,
  exited: Value | undefined,
  before: Value | undefined,
  name: string,
  extras: NonNullable<ExitRecord['extras']>[number][],
): Value {
  if (!exited || !before) return own;
  const carried = b.op('Where', [rowMask(b, exited, 3, `${name}/exited`), before, own], {}, `${name}/hidden`);
  extras.push({ value: carried, whenSkipped: (eb, skipped) => eb.op('Identity', [skipped(before)]) });
  return carried;
}

/**
 * Values only samples that left earlier need (a skipped layer's propagated keys/values, a skipped block's
 * updated state), computed inside an `If` on "some sample has left" (`exited` [B]): a step where every sample
 * is still running (batch 1, a token that goes deeper) does not compute them, and `fallback` stands in, which
 * the per-sample Where then ignores.
 */
export function onlyIfAnyExited(
  b: Builder,
  exited: Value,
  name: string,
  compute: (branch: Builder) => readonly Value[],
  fallback: () => readonly Value[],
): Value[] {
  const asInt = b.op('Cast', [exited], { to: ElementType.int32 }, `${name}/exited_int`);
  const most = b.op('ReduceMax', [asInt], { keepdims: 0 }, `${name}/any_exited_int`);
  const zero = b.constant(`${name}/zero32`, Int32Array.of(0), []);
  const any = b.op('Greater', [most, zero], {}, `${name}/any_exited`);
  const node = b.ifNode({
    cond: any,
    name: `${name}/if_any_exited`,
    thenBranch: compute,
    elseBranch: fallback,
  });
  return node.outputs;
}
