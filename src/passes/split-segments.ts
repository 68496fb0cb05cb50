import { ElementType, Graph, Model, Node, type TensorType, Value, writeModel } from '../ir/index.js';
import type { SegmentSpec } from '../runtime/manifest.js';
import type { ExitRecord } from './context.js';
import { elementTypeOf } from './element-types.js';
import { cone, partitionByExit } from './segments.js';

/** One segment model of the segmented form: its bytes, and the wiring the manifest records for it. */
export interface SegmentModel extends Omit<SegmentSpec, 'model'> {
  readonly bytes: Uint8Array;
}

/**
 * Cuts the policy-annotated flat model (after insert-policy) into one model per exit segment, for a
 * runtime that drives them one by one and drops exited samples from the batch between them.
 *
 * Values a segment reads from earlier segments travel as inputs when they descend from the hidden state
 * (so they are batch-major and shrink with the batch); values computed only from the backbone's inputs
 * (e.g. the attention bias) are recomputed inside each segment from the compacted inputs instead.
 */
export function splitSegments(
  model: Model,
  exits: readonly ExitRecord[],
  hiddenInput: Value,
): SegmentModel[] {
  const graph = model.graph;
  const { segments } = partitionByExit(graph, exits);
  const order = new Map(graph.nodes.map((n, k) => [n, k]));
  const inOrder = (nodes: Iterable<Node>) => [...nodes].sort((a, b) => order.get(a)! - order.get(b)!);

  // Everything downstream of the first layer's input is per-sample data; the rest depends only on inputs.
  const dataPath = new Set<Value>([hiddenInput]);
  for (const n of graph.nodes)
    if (n.inputs.some((v) => v && dataPath.has(v))) for (const v of n.outputs) dataPath.add(v);

  const segmentOf = new Map<Node, number>();
  segments.forEach((s, k) => {
    for (const n of s) segmentOf.set(n, k);
  });

  return segments.map((segment, k) => {
    const nodes = new Set(segment);
    // Side values from earlier segments are recomputed here: pull in their (input-only) producer cones.
    for (const n of [...segment]) {
      for (const v of n.inputs) {
        if (v?.producer && !segment.has(v.producer) && !dataPath.has(v))
          for (const m of cone([v], graph)) nodes.add(m);
      }
    }
    const laterReads = new Set<Value>();
    for (const n of graph.nodes) {
      const s = segmentOf.get(n);
      if (s !== undefined && s > k) for (const v of n.inputs) if (v) laterReads.add(v);
    }
    const carried = exits[k]!.carried!;
    const outputs: Value[] = [];
    for (const n of inOrder(nodes)) {
      for (const v of n.outputs)
        if (dataPath.has(v) && laterReads.has(v) && !outputs.includes(v)) outputs.push(v);
    }
    for (const v of [carried.exited, carried.logits, carried.layer, carried.confidence])
      if (!outputs.includes(v)) outputs.push(v);

    const sub = new Graph(`segment${k + 1}`, undefined);
    const map = new Map<Value, Value>();
    const inputs: Value[] = [];
    const typeOf = (v: Value): TensorType => ({
      elementType: elementTypeOf(v, graph) ?? ElementType.float32,
      ...(v.type?.shape ? { shape: v.type.shape } : {}),
    });
    const resolve = (v: Value): Value => {
      const known = map.get(v);
      if (known) return known;
      const init = graph.initializers.get(v.name);
      const copy = new Value(v.name, init ? v.type : typeOf(v), sub);
      map.set(v, copy);
      if (init) sub.initializers.set(v.name, { value: copy, tensor: init.tensor });
      else inputs.push(copy);
      return copy;
    };
    for (const n of inOrder(nodes)) {
      const clone = new Node(n.op, n.domain, n.name, [], [], sub);
      for (const [key, attr] of n.attributes) clone.attributes.set(key, attr);
      clone.inputs = n.inputs.map((v) => (v ? resolve(v) : undefined));
      for (const v of clone.inputs) v?.uses.add(clone);
      for (const v of n.outputs) {
        const out = new Value(v.name, v.type, sub);
        out.producer = clone;
        clone.outputs.push(out);
        map.set(v, out);
      }
      sub.nodes.push(clone);
    }
    sub.inputs = inputs;
    sub.outputs = outputs.map((v) => {
      const out = map.get(v)!;
      out.type = typeOf(v);
      return out;
    });
    const segmentModel = new Model(sub, model.opsetImports, model.irVersion, { producerName: 'offramp' });
    return {
      exitLayer: exits[k]!.layer,
      bytes: writeModel(segmentModel),
      inputs: inputs.map((v) => v.name),
      outputs: outputs.filter((v) => !Object.values(carried).includes(v)).map((v) => v.name),
      carried: {
        exited: carried.exited.name,
        logits: carried.logits.name,
        layer: carried.layer.name,
        confidence: carried.confidence.name,
      },
    };
  });
}
