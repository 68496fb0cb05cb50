import { ElementType, type Graph, type Value } from '../ir/index.js';

const BOOL_OPS = new Set([
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
const INT64_OPS = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero']);

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
  const outputIndex = node.outputs.indexOf(value);
  if (BOOL_OPS.has(node.op)) return ElementType.bool;
  if (INT64_OPS.has(node.op) || (node.op === 'TopK' && outputIndex === 1)) return ElementType.int64;
  if (node.op === 'Cast') return Number(node.intAttribute('to', 0n));
  if (node.op === 'Constant' || node.op === 'ConstantOfShape') {
    const attr = node.attributes.get('value');
    if (attr?.kind === 'tensor') return attr.value.dataType ?? undefined;
    return node.op === 'ConstantOfShape' ? ElementType.float32 : undefined;
  }
  if (node.op === 'Where') return node.inputs[1] ? elementTypeOf(node.inputs[1], root, seen) : undefined;
  const first = node.inputs.find((v) => v !== undefined);
  return first ? elementTypeOf(first, root, seen) : undefined;
}
