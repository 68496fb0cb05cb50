import type { Graph, Node, Value } from '../ir/index.js';
import type { Carried } from '../policies/index.js';
import type { ExitRecord } from './context.js';

/** Nodes of `graph` needed to compute `roots` (the backward cone); subgraph captures count as inputs. */
export function cone(roots: readonly Value[], graph: Graph): Set<Node> {
  const seen = new Set<Node>();
  const stack = [...roots];
  while (stack.length > 0) {
    const value = stack.pop()!;
    const node = value.producer;
    if (!node || seen.has(node)) continue;
    if (node.graph !== graph) continue;
    seen.add(node);
    for (const input of node.inputs) if (input) stack.push(input);
    for (const sub of node.subgraphs()) for (const captured of capturesOf(sub)) stack.push(captured);
  }
  return seen;
}

function capturesOf(graph: Graph): Value[] {
  const out: Value[] = [];
  const walk = (g: Graph) => {
    for (const node of g.nodes) {
      for (const input of node.inputs)
        if (input && input.graph !== g && !isInside(input.graph, graph)) out.push(input);
      for (const sub of node.subgraphs()) walk(sub);
    }
  };
  walk(graph);
  return out;
}

export function isInside(g: Graph, ancestor: Graph): boolean {
  for (let cur: Graph | undefined = g; cur; cur = cur.parent) if (cur === ancestor) return true;
  return false;
}

export const carriedValues = (c: Carried<Value>) => [c.exited, c.logits, c.layer, c.confidence];

/**
 * Splits the main graph into exit segments: segment k holds what exit k needs that no earlier exit needed
 * (its layers, head, policy step and driver step). `tail` is what the graph outputs need beyond that;
 * `dead` is everything else.
 */
export function partitionByExit(
  graph: Graph,
  exits: readonly ExitRecord[],
): { segments: Set<Node>[]; tail: Set<Node>; dead: Node[] } {
  const segments: Set<Node>[] = [];
  const covered = new Set<Node>();
  for (const exit of exits) {
    const roots = [...carriedValues(exit.carried!), ...(exit.extras ?? []).map((e) => e.value)];
    const own = new Set([...cone(roots, graph)].filter((n) => !covered.has(n)));
    for (const n of own) covered.add(n);
    segments.push(own);
  }
  const tail = new Set([...cone(graph.outputs, graph)].filter((n) => !covered.has(n)));
  const dead = graph.nodes.filter((n) => !covered.has(n) && !tail.has(n));
  return { segments, tail, dead };
}

/** Keeps only the nodes `outputs` need and makes them the graph's outputs (recording and baseline models). */
export function keepOnly(graph: Graph, outputs: Value[]): void {
  const needed = cone(outputs, graph);
  graph.nodes = graph.nodes.filter((n) => needed.has(n));
  graph.outputs = outputs;
  const read = new Set(
    graph.nodes.flatMap((n) => n.inputs.filter((v): v is Value => v !== undefined).map((v) => v.name)),
  );
  for (const name of [...graph.initializers.keys()]) if (!read.has(name)) graph.initializers.delete(name);
}
