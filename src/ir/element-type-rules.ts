import type { Node, Value } from './graph.js';
import { ElementType } from './types.js';

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
 * ONNX's element-type rule for output `index` of `node`, given a way to know other values' types: the one
 * place both the compiler (per value, on demand) and target legalization (per model, memoised) take
 * element types from. Exporters annotate few intermediate values, so this is what fills the gaps.
 */
export function producedElementType(
  node: Node,
  index: number,
  typeOf: (value: Value) => number | undefined,
): number | undefined {
  if (BOOL_OUTPUT.has(node.op)) return ElementType.bool;
  if (INT64_OUTPUT.has(node.op)) return ElementType.int64;
  const input = (i: number) => {
    const v = node.inputs[i];
    return v ? typeOf(v) : undefined;
  };
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
    case 'SequenceEmpty':
      return Number(node.intAttribute('dtype', BigInt(ElementType.float32)));
    case 'SequenceInsert':
      // A sequence has its elements' type: the tensor inserted.
      return input(1) ?? input(0);
    case 'ConcatFromSequence':
      return input(0);
    case 'Loop': {
      // Outputs are the body's outputs after its condition: loop-carried values, then scan outputs.
      const body = node.attributes.get('body');
      const out = body?.kind === 'graph' ? body.value.outputs[index + 1] : undefined;
      return out ? (out.type?.elementType ?? typeOf(out)) : undefined;
    }
    case 'If': {
      const then = node.attributes.get('then_branch');
      const out = then?.kind === 'graph' ? then.value.outputs[index] : undefined;
      return out ? (out.type?.elementType ?? typeOf(out)) : undefined;
    }
    default: {
      // The first input that is present: optional leading inputs are rare but legal.
      const first = node.inputs.find((v) => v !== undefined);
      return first ? typeOf(first) : undefined;
    }
  }
}
