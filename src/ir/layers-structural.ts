import type { Graph, Node, Value } from './graph.js';
import type { Layer } from './layers.js';

const NORMS = new Set(['LayerNormalization', 'SkipLayerNormalization']);

/** Nodes whose outputs `value` depends on (its backward cone in the graph). */
function backward(value: Value): Set<Node> {
  const cone = new Set<Node>();
  const stack = [value];
  while (stack.length > 0) {
    const producer = stack.pop()!.producer;
    if (!producer || cone.has(producer)) continue;
    cone.add(producer);
    for (const v of producer.inputs) if (v) stack.push(v);
  }
  return cone;
}

/** Nodes that read `value`, directly or through other nodes (uses inside subgraphs count as their owner). */
function forward(value: Value, graph: Graph): Set<Node> {
  const cone = new Set<Node>();
  const stack = [value];
  while (stack.length > 0) {
    for (let user of stack.pop()!.uses) {
      while (user.graph !== graph && user.graph.owner) user = user.graph.owner;
      if (cone.has(user)) continue;
      cone.add(user);
      stack.push(...user.outputs);
    }
  }
  return cone;
}

/**
 * The residual stream of a post-LN transformer: normalizations whose input is an `Add` that reads the
 * previous normalization's output (`LN(x + f(x))`), in graph order, starting at the first normalization.
 */
function residualChain(graph: Graph): Value[] {
  const chain: Value[] = [];
  for (const node of graph.nodes) {
    if (!NORMS.has(node.op) || !node.outputs[0]) continue;
    const previous = chain.at(-1);
    if (!previous) {
      chain.push(node.outputs[0]);
      continue;
    }
    const sum = node.op === 'SkipLayerNormalization' ? node : node.inputs[0]?.producer;
    const residual = sum && (sum.op === 'Add' || sum === node) && sum.inputs.includes(previous);
    if (residual) chain.push(node.outputs[0]);
  }
  return chain;
}

/** A segment's shape: the sorted op types of its nodes. */
const signature = (nodes: readonly Node[]) =>
  nodes
    .map((n) => `${n.domain}.${n.op}`)
    .sort()
    .join(',');

/**
 * Finds repeated layers without names: the segments between consecutive normalizations on the residual
 * stream, grouped by the smallest period whose segments repeat (2 for BERT: attention, then feed-forward).
 * A layer's nodes are those that depend on its input and feed its output; what they read besides
 * (masks, constants) stays outside. Returns no layers when fewer than two blocks repeat.
 */
export function discoverLayersByStructure(graph: Graph): Layer[] {
  const chain = residualChain(graph);
  const order = new Map(graph.nodes.map((n, k) => [n, k]));
  const segments: Node[][] = [];
  for (let i = 0; i + 1 < chain.length; i++) {
    const from = forward(chain[i]!, graph);
    const nodes = [...backward(chain[i + 1]!)].filter((n) => from.has(n));
    segments.push(nodes.sort((a, b) => order.get(a)! - order.get(b)!));
  }
  const signatures = segments.map(signature);
  for (let period = 1; period * 2 <= segments.length; period++) {
    if (segments.length % period !== 0) continue;
    if (!signatures.every((s, k) => k < period || s === signatures[k - period])) continue;
    const layers: Layer[] = [];
    for (let index = 0; index * period < segments.length; index++) {
      const inside = new Set(segments.slice(index * period, (index + 1) * period).flat());
      // Constants only this layer reads belong to it, as an exporter's naming would place them.
      for (const n of backward(chain[(index + 1) * period]!))
        if (n.inputs.length === 0 && n.outputs.every((v) => [...v.uses].every((u) => inside.has(u))))
          inside.add(n);
      const nodes = [...inside].sort((a, b) => order.get(a)! - order.get(b)!);
      layers.push({
        index,
        nodes,
        input: chain[index * period]!,
        output: chain[(index + 1) * period]!,
        // Structure follows the residual stream only; per-layer caches are found by name.
        stateInputs: [],
        stateOutputs: [],
      });
    }
    return layers;
  }
  return [];
}
