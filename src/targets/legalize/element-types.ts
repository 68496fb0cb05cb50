import { ElementType, type Graph, type Model, type Node, type Value } from '../../ir/index.js';

const BOOL_OUTPUT = new Set([
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'And',
  'Or',
  'Not',
  'Xor',
  'IsNaN',
  'IsInf',
]);
const INT64_OUTPUT = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero']);

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
  const input = (i: number) => {
    const v = node.inputs[i];
    return v ? types.get(v) : undefined;
  };
  if (BOOL_OUTPUT.has(node.op)) return ElementType.bool;
  if (INT64_OUTPUT.has(node.op)) return ElementType.int64;
  switch (node.op) {
    case 'Cast':
      return Number(node.intAttribute('to', 0n));
    case 'Constant': {
      const a = node.attributes.get('value');
      if (a?.kind === 'tensor') return a.value.dataType ?? undefined;
      if (node.attributes.has('value_int') || node.attributes.has('value_ints')) return ElementType.int64;
      return ElementType.float32;
    }
    case 'ConstantOfShape': {
      const a = node.attributes.get('value');
      return a?.kind === 'tensor' ? (a.value.dataType ?? ElementType.float32) : ElementType.float32;
    }
    case 'TopK':
      return index === 1 ? ElementType.int64 : input(0);
    case 'Where':
      return input(1);
    case 'If': {
      const then = node.attributes.get('then_branch');
      const out = then?.kind === 'graph' ? then.value.outputs[index] : undefined;
      return out ? (out.type?.elementType ?? types.get(out)) : undefined;
    }
    default:
      return input(0);
  }
}
