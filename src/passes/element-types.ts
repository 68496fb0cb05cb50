import { type Graph, producedElementType, type Value } from '../ir/index.js';

/**
 * The element type of a value, from its declaration or by walking to its producer. Exporters rarely
 * annotate intermediate values, but the compiler must declare If outputs with exact element types.
 */
export function elementTypeOf(value: Value, root: Graph, seen = new Set<Value>()): number | undefined {
  if (value.type?.elementType) return value.type.elementType;
  if (seen.has(value)) return undefined;
  seen.add(value);
  const init = value.graph.initializers.get(value.name);
  if (init) return init.tensor.dataType ?? undefined;
  const node = value.producer;
  if (!node) return undefined;
  return producedElementType(node, node.outputs.indexOf(value), (v) => elementTypeOf(v, root, seen));
}
