import { diagnostic } from '../diagnostics/index.js';
import { Builder, ElementType, type Layer, type Model, sortTopologically, type Value } from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';
import type { CompileContext, ExitRecord } from './context.js';
import { cacheSlots, constantChecker } from './decoder-caches.js';

type Extra = NonNullable<ExitRecord['extras']>[number];

/** `recompute` decoder steps: the hidden states waiting for module `index` (layer index + 1), fed back each step. */
export const pendingInputName = (index: number) => `offramp.pending.${index}`;
export const pendingOutputName = (index: number) => `offramp.pending.${index}.next`;

/**
 * A decoder step for the `recompute` strategy (deferred computation, as FREE's synchronised parallel
 * decoding): an exiting token writes nothing into the caches of the layers it skips. Every layer after the
 * first gets a graph input `offramp.pending.{i}` [batch, pending, H], the input hidden states of the tokens
 * whose keys/values it has not computed yet, and runs over `Concat(pending, what the layer before hands on)`
 * in one causal call over its cache, which appends all their keys/values; all its outputs flow on, so the
 * next layer again runs over its own pending tokens followed by them. The exit heads read the last position
 * (the current token). The step returns `offramp.pending.{i}.next`: empty for the layers that ran; when an
 * exit fires after layer k, layer k's whole output is appended to layer k+1's pending inputs, the deeper
 * layers' pending inputs are returned unchanged and their presents are their pasts (make-conditional's
 * else-branches, `ExitRecord.extras`).
 *
 * In a batch, the layers run while any sample is running, for every sample: a sample that exited earlier
 * gets its deferred keys/values computed now instead of at a later step. Both give the entries the full
 * model computes for that token (the strategy's invariant), so each sample decodes as it would alone and
 * every sample's pending count per layer stays the same.
 */
export const deferSkippedLayers: CompilerPass = {
  name: 'defer-skipped-layers',
  summary: 'Recompute strategy: carry skipped layers’ pending inputs from step to step.',
  requires: ['policy-outputs'],
  ensures: ['layers-deferred'],
  run(model, ctx) {
    const none = { modified: false, statistics: { 'pending-inputs': 0 } };
    if (ctx.plan.decoder?.cache !== 'recompute') return none;
    const slots = cacheSlots(ctx);
    const layers = ctx.layers ?? [];
    if (!slots || layers.length < 2) return none;
    if (!selfContained(ctx, layers)) return none;
    const hidden = hiddenSize(model, layers[1]!);
    if (hidden === undefined) {
      ctx.diagnostics.push(
        diagnostic(
          'OR5008',
          {
            layer: 2,
            reason: 'its hidden size could not be read (no token embedding table or input norm scale)',
          },
          { graph: { file: ctx.plan.backbone } },
        ),
      );
      return none;
    }
    const graph = model.graph;
    const b = new Builder(model, graph);
    const zero = b.constant('offramp/pending/zero', BigInt64Array.of(0n), [1]);
    const sequenceAxis = b.constant('offramp/pending/axis', BigInt64Array.of(1n), [1]);
    /** `[B, 0, H]`, sliced off a pending input (the sample count comes with it). */
    const emptyFrom = (bb: Builder, pending: Value, name: string) =>
      bb.op('Slice', [pending, zero, zero, sequenceAxis], {}, name);

    // Per layer (0-based position in `layers`; none for the first): its pending input and output.
    const pending: ({ input: Value; output: Value } | undefined)[] = [undefined];
    for (const layer of layers.slice(1)) {
      const i = layer.index;
      const input = b.addInput(pendingInputName(i), {
        elementType: ElementType.float32,
        shape: ['batch', `pending_${i}`, hidden],
      });
      const joined = b.op('Concat', [input, layer.input], { axis: 1 }, `offramp/pending/${i}/join`);
      for (const node of layer.nodes) {
        if (!node.inputs.includes(layer.input)) continue;
        node.inputs = node.inputs.map((v) => (v === layer.input ? joined : v));
        layer.input.uses.delete(node);
        joined.uses.add(node);
      }
      // When the layer runs, nothing is left waiting for it.
      const output = emptyFrom(b, input, `offramp/pending/${i}/ran`);
      output.name = b.claimName(pendingOutputName(i));
      output.type = { elementType: ElementType.float32, shape: ['batch', `pending_${i}_next`, hidden] };
      pending.push({ input, output });
    }

    let first = 1;
    let handedOn: Value | undefined;
    ctx.exits.forEach((exit, k) => {
      const extras: Extra[] = [...(exit.extras ?? [])];
      const tail = handedOn;
      for (let number = first; number <= exit.layer; number++) {
        const layer = layers[number - 1]!;
        for (const slot of slots.get(layer)!)
          extras.push({
            value: slot.present,
            whenSkipped: (eb) =>
              eb.op('Identity', [slot.past], {}, `offramp/pending/${slot.present.name}/kept`),
          });
        const own = pending[number - 1];
        if (!own) continue;
        const receives = number === first;
        extras.push({
          value: own.output,
          // The first skipped layer receives what the last layer that ran hands on; deeper ones keep theirs.
          whenSkipped: (eb, before) =>
            receives && tail
              ? eb.op(
                  'Concat',
                  [own.input, before(tail)],
                  { axis: 1 },
                  `offramp/pending/${layer.index}/deferred`,
                )
              : eb.op('Identity', [own.input], {}, `offramp/pending/${layer.index}/kept`),
        });
      }
      if (k < ctx.exits.length - 1) {
        // What the exit layer hands on: its whole output; nothing when this segment was skipped too.
        const out = layers[exit.layer - 1]!.output;
        const next = pending[exit.layer]!.input;
        extras.push({
          value: out,
          whenSkipped: (eb) => emptyFrom(eb, next, `offramp/pending/${exit.layer}/none`),
        });
        handedOn = out;
      }
      exit.extras = extras;
      first = exit.layer + 1;
    });
    graph.outputs.push(...pending.flatMap((p) => (p ? [p.output] : [])));
    sortTopologically(graph);
    return { modified: true, statistics: { 'pending-inputs': layers.length - 1 } };
  },
};

/**
 * Whether every layer after the first computes from its input hidden state, its own cache and constants
 * alone: those layers rerun pending tokens, so a value computed once outside them (a shared attention
 * mask or bias sized for this step's tokens) would not fit. OR5008 names the first such read.
 */
function selfContained(ctx: CompileContext, layers: readonly Layer[]): boolean {
  const isConstant = constantChecker();
  for (const layer of layers.slice(1)) {
    const inside = new Set(layer.nodes);
    const state = new Set(layer.stateInputs);
    for (const node of layer.nodes) {
      for (const v of node.inputs) {
        if (!v || v === layer.input || state.has(v) || (v.producer && inside.has(v.producer))) continue;
        if (isConstant(v)) continue;
        ctx.diagnostics.push(
          diagnostic(
            'OR5008',
            {
              layer: layer.index + 1,
              reason: `it reads '${v.name}', computed outside the layer (a shared mask or bias sized for this step's tokens would not fit the pending ones)`,
            },
            { graph: { file: ctx.plan.backbone, node: node.name, tensor: v.name } },
          ),
        );
        return false;
      }
    }
  }
  return true;
}

/**
 * The hidden size of the residual stream: the width of the token embedding table (a Gather from a 2-D
 * initializer by a graph input), else the scale of a LayerNormalization reading the layer's input.
 */
function hiddenSize(model: Model, layer: Layer): number | undefined {
  const graph = model.graph;
  const dimsOf = (v: Value | undefined) =>
    v ? graph.initializers.get(v.name)?.tensor.dims?.map(Number) : undefined;
  for (const node of graph.nodes) {
    if (node.op !== 'Gather' || !node.inputs[1] || !graph.inputs.includes(node.inputs[1])) continue;
    const dims = dimsOf(node.inputs[0]);
    if (dims?.length === 2) return dims[1];
  }
  for (const node of layer.input.uses) {
    if (!/LayerNormalization$/.test(node.op) || node.inputs[0] !== layer.input) continue;
    const dims = dimsOf(node.inputs[1]);
    if (dims?.length === 1) return dims[0];
  }
  return undefined;
}
