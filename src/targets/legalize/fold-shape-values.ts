import {
  allGraphs,
  type Dim,
  ElementType,
  inferShapes,
  type KnownInts,
  type Model,
  type Node,
  type TensorType,
  type Value,
} from '../../ir/index.js';
import { inferElementTypes } from './element-types.js';
import { buildBefore, initializerOf, newBuilder, removeDeadNodes, replaceReads } from './graph-edit.js';
import type { LegalizePass } from './legalize-pass.js';
import { reduce } from './ops.js';
import { hostShapeNodes, SHAPE_OPERANDS } from './placement.js';
import { tensorNumbers } from './tensor-values.js';

/** Slice's "to the end" bound. */
const INT64_MAX = 9223372036854775807n;
const INT32_MAX = 2147483647n;

interface Fold {
  readonly node: Node;
  readonly port: number;
  readonly elementType: number;
  readonly shape: readonly number[];
  readonly data: readonly bigint[];
}

const numeric = (data: readonly Dim[]): data is number[] => data.every((d) => typeof d === 'number');

/** Reshape's target with symbolic entries: 0 where it copies the data's own dim, one -1 for the rest. */
function reshapeTarget(node: Node, target: readonly Dim[]): bigint[] | undefined {
  if (node.intAttribute('allowzero', 0n) !== 0n) return undefined;
  const data = node.inputs[0]?.type?.shape;
  let open = target.includes(-1) ? 1 : 0;
  const out: bigint[] = [];
  for (const [k, d] of target.entries()) {
    if (typeof d === 'number') out.push(BigInt(d));
    else if (d !== undefined && data?.[k] === d) out.push(0n);
    else if (open++ === 0) out.push(-1n);
    else return undefined;
  }
  return out;
}

/** Expand's shape with symbolic entries: 1 where the input already has that dim (broadcast keeps it). */
function expandShape(node: Node, shape: readonly Dim[]): bigint[] | undefined {
  const input = node.inputs[0]?.type?.shape;
  if (!input) return undefined;
  const offset = shape.length - input.length;
  const out: bigint[] = [];
  for (const [k, d] of shape.entries()) {
    if (typeof d === 'number') out.push(BigInt(d));
    else if (d !== undefined && k >= offset && input[k - offset] === d) out.push(1n);
    else return undefined;
  }
  return out;
}

/** Slice's ends with symbolic entries: "to the end" where the bound is the sliced dim itself. */
function sliceEnds(
  node: Node,
  ends: readonly Dim[],
  values: ReadonlyMap<Value, KnownInts>,
): bigint[] | undefined {
  const input = node.inputs[0]?.type?.shape;
  const axesValue = node.inputs[3];
  const axes = axesValue ? values.get(axesValue)?.data : ends.map((_, k) => k);
  if (!input || !axes || !numeric(axes)) return undefined;
  const out: bigint[] = [];
  for (const [k, d] of ends.entries()) {
    const axis = axes[k]! < 0 ? axes[k]! + input.length : axes[k]!;
    if (typeof d === 'number') out.push(BigInt(d));
    else if (d !== undefined && input[axis] === d) out.push(INT64_MAX);
    else return undefined;
  }
  return out;
}

/** The constant an operand can be replaced by, when shape inference knows enough of its value. */
function foldedOperand(
  node: Node,
  port: number,
  known: KnownInts,
  values: ReadonlyMap<Value, KnownInts>,
): bigint[] | undefined {
  if (numeric(known.data)) return known.data.map((d) => BigInt(d));
  if (known.shape.length !== 1) return undefined;
  if (node.op === 'Reshape' && port === 1) return reshapeTarget(node, known.data);
  if (node.op === 'Expand' && port === 1) return expandShape(node, known.data);
  if (node.op === 'Slice' && port === 2) return sliceEnds(node, known.data, values);
  return undefined;
}

/** `Gather(Shape(x), k)` read as data: one dimension of `x` that must become a device computation. */
interface DimRead {
  readonly gather: Node;
  readonly x: Value;
  readonly axis: number;
  readonly rank: number;
  /** The index is a one-element vector, not a scalar: the result keeps that axis. */
  readonly vector: boolean;
}

/** `Gather(Shape(x), k)` with a constant k and x of known rank (read while inferred shapes are in place). */
function dimRead(node: Node): DimRead | undefined {
  if (node.op !== 'Gather' || node.intAttribute('axis', 0n) !== 0n) return undefined;
  const shape = node.inputs[0]?.producer;
  if (shape?.op !== 'Shape' || shape.attributes.has('start') || shape.attributes.has('end')) return undefined;
  const init = initializerOf(node.inputs[1]);
  const index = init ? tensorNumbers(init.tensor) : undefined;
  const x = shape.inputs[0];
  const rank = x?.type?.shape?.length;
  if (index?.length !== 1 || !x || rank === undefined) return undefined;
  const k = index[0]!;
  if (k < -rank || k >= rank) return undefined;
  return {
    gather: node,
    x,
    axis: k < 0 ? k + rank : k,
    rank,
    vector: (init!.tensor.dims ?? []).length === 1,
  };
}

/**
 * One dimension of `x` computed on the device: the tensor summed over every other axis is one vector
 * along that axis, `Where(Equal(v, v), 1, 1)` turns it into ones whatever it holds (NaN, ±Inf included),
 * and their sum is the dimension (exact in float32 up to 2^24), Cast to int64 as Gather(Shape) gives it.
 */
function deviceDim(model: Model, read: DimRead): Value {
  const b = newBuilder(model);
  return buildBefore(b, read.gather, (g) => {
    const others = Array.from({ length: read.rank }, (_, i) => i).filter((i) => i !== read.axis);
    const line = others.length > 0 ? reduce(g, 'ReduceSum', read.x, others, false) : read.x;
    const one = g.constant('one', Float32Array.of(1), []);
    const ones = g.op('Where', [g.op('Equal', [line, line]), one, one]);
    const count = reduce(g, 'ReduceSum', ones, [0], read.vector);
    return g.op('Cast', [count], { to: ElementType.int64 });
  });
}

/** `Reshape(Gemm(Reshape(x, [-1, K]), W, C), [...x's leading dims, N])`: a Linear layer on a flattened x. */
interface Unflatten {
  readonly reshape: Node;
  readonly x: Value;
  readonly gemm: Node;
}

/**
 * Exporters write a Linear layer on [..., K] inputs (GPT-2's Conv1D) as flatten → Gemm → un-flatten, where
 * the un-flatten's target is x's own leading dims: read at run time, so host work. MatMul broadcasts over
 * the leading dims itself, so the three nodes are `MatMul(x, W) + C` with no shape read at all.
 */
function unflatten(node: Node, values: ReadonlyMap<Value, KnownInts>): Unflatten | undefined {
  const gemm = node.inputs[0]?.producer;
  if (node.op !== 'Reshape' || gemm?.op !== 'Gemm') return undefined;
  const attr = (name: string, fallback: number) => {
    const a = gemm.attributes.get(name);
    return a?.kind === 'float' || a?.kind === 'int' ? Number(a.value) : fallback;
  };
  if (attr('alpha', 1) !== 1 || attr('beta', 1) !== 1 || attr('transA', 0) !== 0) return undefined;
  const flatten = gemm.inputs[0]?.producer;
  const x = flatten?.op === 'Reshape' ? flatten.inputs[0] : undefined;
  const xShape = x?.type?.shape;
  const flat = flatten?.inputs[1] ? values.get(flatten.inputs[1])?.data : undefined;
  const target = node.inputs[1] ? values.get(node.inputs[1])?.data : undefined;
  if (!x || !xShape || xShape.length < 2 || !flat || !target || target.length !== xShape.length)
    return undefined;
  const k = xShape.at(-1);
  if (flat.length !== 2 || typeof k !== 'number' || flat[1] !== k || (flat[0] !== -1 && flat[0] !== 0))
    return undefined;
  if (flat[0] === 0 && xShape.length !== 2) return undefined;
  const leading = target.slice(0, -1);
  if (!leading.every((d, i) => d !== undefined && d === xShape[i])) return undefined;
  if (typeof target.at(-1) !== 'number') return undefined;
  // C broadcasts the same way against [M, N] and [..., N] only when it is a row.
  const bias = gemm.inputs[2]?.type?.shape;
  if (gemm.inputs[2] && (!bias || (bias.length === 2 && bias[0] !== 1) || bias.length > 2)) return undefined;
  return { reshape: node, x, gemm };
}

/** Replaces the un-flatten by `MatMul(x, W) + C` (W transposed first when the Gemm says so). */
function applyUnflatten(model: Model, u: Unflatten): void {
  const b = newBuilder(model);
  const [, w, c] = u.gemm.inputs;
  const transB = u.gemm.attributes.get('transB');
  const out = buildBefore(b, u.reshape, (g) => {
    const weight =
      transB?.kind === 'int' && transB.value !== 0n ? g.op('Transpose', [w!], { perm: [1, 0] }) : w!;
    const product = g.op('MatMul', [u.x, weight]);
    return c ? g.op('Add', [product, c]) : product;
  });
  replaceReads(model, u.reshape.outputs[0]!, out);
}

/** Every value a graph of the model declares (inputs, initializers, node outputs), with its type now. */
function typesOf(model: Model): Map<Value, TensorType | undefined> {
  const types = new Map<Value, TensorType | undefined>();
  for (const graph of allGraphs(model.graph)) {
    for (const v of graph.inputs) types.set(v, v.type);
    for (const init of graph.initializers.values()) types.set(init.value, init.value.type);
    for (const node of graph.nodes) for (const v of node.outputs) types.set(v, v.type);
  }
  return types;
}

/**
 * Folds the shape arithmetic whose values shape inference knows (`inferShapes` propagates the values of
 * `Shape → Gather → Unsqueeze → Concat` chains, with symbolic dims such as `batch`) into constants, so
 * nothing is left for ORT to compute on the host:
 *
 * - an operand whose every element is a number becomes an initializer (any op, any input);
 * - a Reshape target with symbolic entries becomes `0` (copy the data's dim) where the data has that very
 *   dim, and `-1` for at most one other entry;
 * - an Expand shape with symbolic entries becomes `1` where the input already has that dim;
 * - a Slice end equal to the sliced dim becomes "to the end".
 *
 * Only operands computed by nodes are touched; what is left unread afterwards (the Shape/Gather/Concat
 * chains) is removed. Types inference refines on the way are put back: the pass changes operands only.
 */
export const foldShapeValues: LegalizePass = {
  name: 'fold-shape-values',
  summary: 'Replace shape computations with known values (symbolic dims included) by constants.',
  run(model) {
    const before = typesOf(model);
    const { values } = inferShapes(model.graph, { opset: model.opset('') ?? 17, deadPlaceholders: true });
    const folds: Fold[] = [];
    const dims: DimRead[] = [];
    const linears: Unflatten[] = [];
    for (const graph of allGraphs(model.graph)) {
      for (const node of graph.nodes) {
        const read = dimRead(node);
        if (read) dims.push(read);
        const linear = unflatten(node, values);
        if (linear) {
          linears.push(linear);
          continue;
        }
        const shapePorts = SHAPE_OPERANDS[node.op] ?? [];
        for (const [port, v] of node.inputs.entries()) {
          if (!v?.producer || v.producer.op === 'Constant') continue;
          const known = values.get(v);
          const elementType = v.type?.elementType;
          if (!known || (elementType !== ElementType.int64 && elementType !== ElementType.int32)) continue;
          // Off the shape ports only fully known values fold (a symbolic dim there is a run-time value).
          if (!shapePorts.includes(port) && !numeric(known.data)) continue;
          const data = foldedOperand(node, port, known, values);
          if (data) folds.push({ node, port, elementType, shape: known.shape, data });
        }
      }
    }
    for (const [v, type] of before) v.type = type;
    const b = newBuilder(model);
    for (const fold of folds) {
      const old = fold.node.inputs[fold.port]!;
      const data =
        fold.elementType === ElementType.int64
          ? BigInt64Array.from(fold.data)
          : Int32Array.from(fold.data, (d) => Number(d > INT32_MAX ? INT32_MAX : d));
      const folded = b.into(fold.node.graph).constant(`${old.name}/folded`, data, fold.shape);
      fold.node.inputs[fold.port] = folded;
      folded.uses.add(fold.node);
      if (!fold.node.inputs.includes(old)) old.uses.delete(fold.node);
    }
    for (const linear of linears) applyUnflatten(model, linear);
    let removed = folds.length + linears.length > 0 ? removeDeadNodes(model) : 0;
    // What is still read as data (position arithmetic, causal masks over a growing cache) is computed on
    // the device; dims that only size tensors stay host shape nodes, as ORT intends.
    const elementTypes = inferElementTypes(model);
    const host = hostShapeNodes(model);
    let computed = 0;
    for (const read of dims) {
      const alive = read.gather.graph.nodes.includes(read.gather);
      const type = elementTypes.get(read.x);
      if (!alive || host.has(read.gather) || type === undefined || type === ElementType.bool) continue;
      replaceReads(model, read.gather.outputs[0]!, deviceDim(model, read));
      computed++;
    }
    if (computed > 0) removed += removeDeadNodes(model);
    return {
      modified: folds.length + linears.length + computed > 0,
      statistics: {
        'operands-folded': folds.length,
        'linears-unflattened': linears.length,
        'dims-on-device': computed,
        'dead-nodes-removed': removed,
      },
    };
  },
};
