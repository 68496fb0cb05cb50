import { type Graph, type Model, type Node, removeNodes, type Value } from '../ir/index.js';
import type { Pass, PassContext } from './pass.js';

type Options = {
  /** Also drop initializers no live node reads. */
  readonly initializers: boolean;
};

const defaults: Options = { initializers: true };

/**
 * The values and nodes the graph outputs depend on, across scopes: a live node with subgraphs makes the
 * subgraphs' outputs live, and a live node inside a subgraph makes the outer values it captures live.
 * Built by scanning node inputs rather than trusting use lists, so a pass that left them stale cannot
 * make this delete something still read.
 */
function liveness(model: Model): { nodes: Set<Node>; values: Set<Value> } {
  const nodes = new Set<Node>();
  const values = new Set<Value>();
  const work: Value[] = [...model.graph.outputs];
  const markNode = (node: Node) => {
    if (nodes.has(node)) return;
    nodes.add(node);
    for (const v of node.inputs) if (v) work.push(v);
    for (const sub of node.subgraphs()) {
      work.push(...sub.outputs);
      // Nodes without outputs inside a live subgraph are kept as they are (nothing can read them).
      for (const inner of sub.nodes) if (inner.outputs.length === 0) markNode(inner);
    }
  };
  for (const node of model.graph.nodes) if (node.outputs.length === 0) markNode(node);
  while (work.length > 0) {
    const value = work.pop()!;
    if (values.has(value)) continue;
    values.add(value);
    if (value.producer) markNode(value.producer);
  }
  return { nodes, values };
}

/** Every graph reachable through live nodes, the main graph first. */
function liveGraphs(graph: Graph, live: Set<Node>): Graph[] {
  const out = [graph];
  for (const node of graph.nodes)
    if (live.has(node)) for (const sub of node.subgraphs()) out.push(...liveGraphs(sub, live));
  return out;
}

/**
 * Removes nodes whose outputs nothing needs, in every scope, and (by default) the initializers no
 * remaining node reads. An initializer or node output read only inside an `If` branch is needed: the
 * branch's read is a use (onnxscript once folded away such an initializer, onnx/onnxscript#2810).
 */
export const eliminateDeadNodes: Pass<PassContext, Options> = {
  name: 'eliminate-dead-nodes',
  summary: 'Remove nodes (and initializers) that no graph output depends on, subgraph captures counted.',
  requires: [],
  ensures: ['no-dead-nodes'],
  defaults,
  run(model, _ctx, options = defaults) {
    const live = liveness(model);
    const dead: Node[] = [];
    for (const graph of liveGraphs(model.graph, live.nodes))
      for (const node of graph.nodes) if (!live.nodes.has(node)) dead.push(node);
    removeNodes(dead);
    let removedInitializers = 0;
    if (options.initializers) {
      for (const graph of liveGraphs(model.graph, live.nodes)) {
        for (const [name, init] of [...graph.initializers]) {
          // An initializer listed among the inputs (IR < 4) is part of the signature: callers may feed it.
          if (live.values.has(init.value) || graph.inputs.includes(init.value)) continue;
          graph.initializers.delete(name);
          removedInitializers++;
        }
      }
    }
    return {
      modified: dead.length > 0 || removedInitializers > 0,
      statistics: { 'removed-nodes': dead.length, 'removed-initializers': removedInitializers },
    };
  },
};
