import type { Graph, Node, Value } from './graph.js';

/**
 * The values a node reads in its own graph's scope: its inputs, plus the values its subgraphs capture
 * from that scope (or from further out), since the node cannot run before those are computed.
 */
export function readsOf(node: Node): Set<Value> {
  const reads = new Set<Value>();
  for (const v of node.inputs) if (v) reads.add(v);
  // A value defined anywhere inside the same subgraph (a nested Loop body reading what its enclosing branch
  // computed, say) is not read from the node's scope: only values from outside `root` are.
  const collect = (graph: Graph, root: Graph) => {
    for (const inner of graph.nodes) {
      for (const v of inner.inputs) if (v && !isInside(v.graph, root)) reads.add(v);
      for (const sub of inner.subgraphs()) collect(sub, root);
    }
    for (const v of graph.outputs) if (!isInside(v.graph, root)) reads.add(v);
  };
  for (const sub of node.subgraphs()) collect(sub, sub);
  return reads;
}

/** True when `inner` is `outer` or nested in it. */
export function isInside(inner: Graph, outer: Graph): boolean {
  for (let g: Graph | undefined = inner; g; g = g.parent) if (g === outer) return true;
  return false;
}

/** The graph's node that computes `value` (directly, or as the owner of the subgraph that does). */
function producerIn(graph: Graph, value: Value): Node | undefined {
  let producer = value.producer;
  while (producer && producer.graph !== graph) producer = producer.graph.owner;
  return producer;
}

/**
 * A topological order of the graph's nodes (stable: nodes already in order keep their places), or, when
 * there is none, the nodes of one cycle in dependency order.
 */
export function topologicalOrder(graph: Graph): { order: Node[] } | { cycle: Node[] } {
  const index = new Map(graph.nodes.map((n, k) => [n, k]));
  const deps = new Map<Node, Node[]>();
  for (const node of graph.nodes) {
    const list: Node[] = [];
    for (const v of readsOf(node)) {
      const p = producerIn(graph, v);
      if (p && p !== node && index.has(p)) list.push(p);
      else if (p === node) return { cycle: [node] };
    }
    deps.set(node, list);
  }
  const state = new Map<Node, 'open' | 'done'>();
  const order: Node[] = [];
  // Iterative DFS (deep graphs would overflow the call stack), visiting in the original order.
  for (const root of graph.nodes) {
    if (state.has(root)) continue;
    const stack: { node: Node; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, 'open');
    while (stack.length > 0) {
      const top = stack.at(-1)!;
      const list = deps.get(top.node)!;
      if (top.next < list.length) {
        const dep = list[top.next++]!;
        const s = state.get(dep);
        if (s === 'open') {
          const from = stack.findIndex((f) => f.node === dep);
          return { cycle: stack.slice(from).map((f) => f.node) };
        }
        if (s === undefined) {
          state.set(dep, 'open');
          stack.push({ node: dep, next: 0 });
        }
        continue;
      }
      state.set(top.node, 'done');
      order.push(top.node);
      stack.pop();
    }
  }
  return { order };
}

/** Reorders the graph's nodes topologically (subgraphs too); returns false, unchanged, on a cycle. */
export function sortTopologically(graph: Graph): boolean {
  const result = topologicalOrder(graph);
  if ('cycle' in result) return false;
  graph.nodes = result.order;
  for (const node of graph.nodes)
    for (const sub of node.subgraphs()) if (!sortTopologically(sub)) return false;
  return true;
}
