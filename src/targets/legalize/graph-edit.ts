import { allGraphs, Builder, type Model, type Node, removeNode, type Value } from '../../ir/index.js';

/**
 * Runs `build` with a builder on `graph` and moves the nodes it appends to just before `anchor`, so a
 * rewrite keeps the graph topologically ordered without a re-sort.
 */
export function buildBefore<T>(builder: Builder, anchor: Node, build: (b: Builder) => T): T {
  const graph = anchor.graph;
  const b = builder.into(graph);
  const start = graph.nodes.length;
  const result = build(b);
  const added = graph.nodes.splice(start);
  graph.nodes.splice(graph.nodes.indexOf(anchor), 0, ...added);
  return result;
}

/** As `buildBefore`, placing the new nodes right after `anchor`. */
export function buildAfter<T>(builder: Builder, anchor: Node, build: (b: Builder) => T): T {
  const graph = anchor.graph;
  const b = builder.into(graph);
  const start = graph.nodes.length;
  const result = build(b);
  const added = graph.nodes.splice(start);
  graph.nodes.splice(graph.nodes.indexOf(anchor) + 1, 0, ...added);
  return result;
}

/** Makes `value` the output of `node` at `index` (and `node` its producer). */
export function setOutput(node: Node, index: number, value: Value): void {
  node.outputs[index] = value;
  value.producer = node;
}

/**
 * Every value some node input or graph output reads, found by scanning rather than from use lists: a
 * pass that assigns `node.inputs[i]` directly leaves the use lists stale.
 */
function readValues(model: Model): Set<Value> {
  const read = new Set<Value>();
  for (const graph of allGraphs(model.graph)) {
    for (const node of graph.nodes) for (const v of node.inputs) if (v) read.add(v);
    for (const v of graph.outputs) read.add(v);
  }
  return read;
}

/** Removes nodes none of whose outputs is read or returned, until none is left; returns how many. */
export function removeDeadNodes(model: Model): number {
  let removed = 0;
  for (let changed = true; changed; ) {
    changed = false;
    const read = readValues(model);
    for (const graph of [...allGraphs(model.graph)]) {
      for (const node of [...graph.nodes].reverse()) {
        if (node.outputs.some((v) => read.has(v))) continue;
        removeNode(node);
        removed++;
        changed = true;
      }
    }
  }
  return removed;
}

/** Drops initializers no node in any scope reads. */
export function removeUnreadInitializers(model: Model): number {
  const read = readValues(model);
  let removed = 0;
  for (const graph of allGraphs(model.graph)) {
    for (const [name, init] of [...graph.initializers]) {
      if (read.has(init.value) || graph.inputs.includes(init.value)) continue;
      graph.initializers.delete(name);
      removed++;
    }
  }
  return removed;
}

/** The initializer behind `value`, if it is one (in its own graph). */
export function initializerOf(value: Value | undefined) {
  return value ? value.graph.initializers.get(value.name) : undefined;
}

export function newBuilder(model: Model): Builder {
  return new Builder(model, model.graph);
}

/**
 * Rewires every read of `from` (node inputs in any scope, graph outputs) to `to`. Scans instead of
 * trusting `from.uses`, which a direct `inputs[i] =` assignment elsewhere leaves stale.
 */
export function replaceReads(model: Model, from: Value, to: Value): void {
  for (const graph of allGraphs(model.graph)) {
    for (const node of graph.nodes) {
      if (!node.inputs.includes(from)) continue;
      node.inputs = node.inputs.map((v) => (v === from ? to : v));
      from.uses.delete(node);
      to.uses.add(node);
    }
    graph.outputs = graph.outputs.map((v) => (v === from ? to : v));
  }
}
