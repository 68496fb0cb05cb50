import { type Graph, type Model, type Node, producedElementType, type Value } from '../../ir/index.js';

/**
 * Element types of every value of a model. Exporters annotate few intermediate values, so the type of
 * an unannotated value is derived from its producer's ONNX type rules; declared types win.
 */
export function inferElementTypes(model: Model): Map<Value, number> {
  const types = new Map<Value, number>();
  visitGraph(model.graph, types);
  return types;
}

function visitGraph(graph: Graph, types: Map<Value, number>): void {
  for (const v of graph.inputs) if (v.type?.elementType) types.set(v, v.type.elementType);
  for (const init of graph.initializers.values()) {
    if (init.tensor.dataType) types.set(init.value, init.tensor.dataType);
  }
  for (const node of graph.nodes) {
    for (const sub of node.subgraphs()) visitGraph(sub, types);
    node.outputs.forEach((out, i) => {
      const type = out.type?.elementType || outputType(node, i, types);
      if (type) types.set(out, type);
    });
  }
}

function outputType(node: Node, index: number, types: Map<Value, number>): number | undefined {
  return producedElementType(node, index, (v) => types.get(v));
}
