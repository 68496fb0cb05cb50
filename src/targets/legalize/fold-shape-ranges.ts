import { allGraphs, ElementType, type Node, type Value } from '../../ir/index.js';
import { inferElementTypes } from './element-types.js';
import { buildBefore, initializerOf, newBuilder, removeDeadNodes, replaceReads } from './graph-edit.js';
import type { LegalizePass } from './legalize-pass.js';
import { reduce } from './ops.js';
import { tensorNumbers } from './tensor-values.js';

/** Follows Cast/Squeeze/Identity wrappers back to the producer that decides the value. */
function unwrap(value: Value | undefined): Value | undefined {
  let v = value;
  while (v?.producer && ['Cast', 'Identity', 'Squeeze'].includes(v.producer.op)) v = v.producer.inputs[0];
  return v;
}

function scalarConstant(_node: Node, value: Value | undefined): number | undefined {
  const init = initializerOf(value);
  const numbers = init ? tensorNumbers(init.tensor) : undefined;
  return numbers?.length === 1 ? numbers[0] : undefined;
}

/** `Gather(Shape(x), k)` with a constant scalar k → [x, k]. */
function shapeDim(value: Value | undefined): { x: Value; axis: number } | undefined {
  const gather = unwrap(value)?.producer;
  if (gather?.op !== 'Gather' || gather.intAttribute('axis', 0n) !== 0n) return undefined;
  const shape = gather.inputs[0]?.producer;
  if (shape?.op !== 'Shape' || shape.attributes.has('start') || shape.attributes.has('end')) return undefined;
  const k = scalarConstant(gather, gather.inputs[1]);
  const x = shape.inputs[0];
  const rank = x?.type?.shape?.length;
  if (k === undefined || !x || rank === undefined) return undefined;
  return { x, axis: k < 0 ? k + rank : k };
}

/**
 * Removes the shape computations ORT would pin to the CPU when they only size a tensor that can be made
 * on the device from the tensor itself:
 *
 *   Range(s, Gather(Shape(x), k), d)  →  s + d·(CumSum(ones along axis k of x) − 1)
 *   ConstantOfShape(Shape(x), v)      →  x·0 + v  (in v's element type)
 *
 * "ones along axis k" is `ReduceMax(x, other axes)·0 + 1`, so nothing reads a shape. The patterns are
 * exactly what exporters emit for position ids and `zeros_like`; other shape uses stay and are reported.
 */
export const foldShapeRanges: LegalizePass = {
  name: 'fold-shape-ranges',
  summary: 'Compute Range-over-a-dimension and ConstantOfShape(Shape(x)) on the device, without Shape.',
  run(model) {
    const b = newBuilder(model);
    const types = inferElementTypes(model);
    let ranges = 0;
    let fills = 0;
    for (const graph of [...allGraphs(model.graph)]) {
      for (const node of [...graph.nodes]) {
        if (node.op === 'Range') {
          const dim = shapeDim(node.inputs[1]);
          const start = scalarConstant(node, node.inputs[0]);
          const delta = scalarConstant(node, node.inputs[2]);
          const type = types.get(node.outputs[0]!);
          if (!dim || start === undefined || delta === undefined || !type) continue;
          const out = buildBefore(b, node, (g) => {
            const rank = dim.x.type!.shape!.length;
            const others = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== dim.axis);
            let line = others.length > 0 ? reduce(g, 'ReduceMax', dim.x, others, false) : dim.x;
            if (types.get(dim.x) !== type) line = g.op('Cast', [line], { to: type });
            const zero = g.constant('zero', typed(type, 0), []);
            const one = g.constant('one', typed(type, 1), []);
            const ones = g.op('Add', [g.op('Mul', [line, zero]), one]);
            const axis = g.constant('axis', BigInt64Array.of(0n), []);
            const iota = g.op('Sub', [g.op('CumSum', [ones, axis]), one]);
            const scaled =
              delta === 1 ? iota : g.op('Mul', [iota, g.constant('delta', typed(type, delta), [])]);
            return start === 0 ? scaled : g.op('Add', [scaled, g.constant('start', typed(type, start), [])]);
          });
          replaceReads(model, node.outputs[0]!, out);
          ranges++;
        } else if (node.op === 'ConstantOfShape') {
          const shape = node.inputs[0]?.producer;
          const x = shape?.op === 'Shape' && !shape.attributes.has('start') ? shape.inputs[0] : undefined;
          const attr = node.attributes.get('value');
          const type =
            attr?.kind === 'tensor' ? (attr.value.dataType ?? ElementType.float32) : ElementType.float32;
          const fill = attr?.kind === 'tensor' ? scalarFromTensor(attr.value) : 0;
          if (!x || fill === undefined || type === ElementType.bool || !types.get(x)) continue;
          const out = buildBefore(b, node, (g) => {
            const line = types.get(x) === type ? x : g.op('Cast', [x], { to: type });
            const zeroed = g.op('Mul', [line, g.constant('zero', typed(type, 0), [])]);
            return g.op('Add', [zeroed, g.constant('fill', typed(type, fill), [])]);
          });
          replaceReads(model, node.outputs[0]!, out);
          fills++;
        }
      }
    }
    const removed = ranges + fills > 0 ? removeDeadNodes(model) : 0;
    return {
      modified: ranges + fills > 0,
      statistics: {
        'ranges-folded': ranges,
        'constant-of-shape-folded': fills,
        'dead-nodes-removed': removed,
      },
    };
  },
};

function scalarFromTensor(tensor: Parameters<typeof tensorNumbers>[0]): number | undefined {
  const numbers = tensorNumbers(tensor);
  return numbers?.length === 1 ? numbers[0] : undefined;
}

function typed(type: number, n: number): Float32Array | Float64Array | BigInt64Array | Int32Array {
  switch (type) {
    case ElementType.float64:
      return Float64Array.of(n);
    case ElementType.int64:
      return BigInt64Array.of(BigInt(n));
    case ElementType.int32:
      return Int32Array.of(n);
    default:
      return Float32Array.of(n);
  }
}
