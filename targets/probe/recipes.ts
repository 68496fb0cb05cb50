/**
 * One-node probe models: for each operator, how to build a minimal valid node at a given opset with
 * given element types. The probe varies each listed type parameter over its candidates (the others
 * keep their first candidate) and asks an execution provider to place the node.
 */
import { type ElementType, onnxElementType as typeCode } from '../../src/targets/index.js';
import type { AttributeValue, GraphSpec, ValueSpec } from '../../test/support/webgpu/onnx-builder.js';

export interface ProbeNode {
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  /** Conditional attribute sets leave some keys undefined; those are dropped. */
  readonly attributes?: Readonly<Record<string, AttributeValue | undefined>>;
  /** The node's inputs when they are not all the model's inputs (If reads `x` from the outer scope). */
  readonly nodeInputs?: readonly string[];
}

export interface Recipe {
  readonly op: string;
  readonly domain?: string;
  /** Type parameter → candidate element types; the first is the default while others vary. */
  readonly params: Readonly<Record<string, readonly ElementType[]>>;
  /** `version` is the since-version the node resolves to. */
  build(types: Readonly<Record<string, ElementType>>, version: number): ProbeNode;
}

const FLOATS: readonly ElementType[] = ['float32', 'float16', 'float64'];
const NUMBERS: readonly ElementType[] = ['float32', 'float16', 'float64', 'int32', 'int64'];
const ALL: readonly ElementType[] = [...NUMBERS, 'bool', 'uint8', 'int8'];
const INDEX: readonly ElementType[] = ['int64', 'int32'];

const v = (name: string, type: ElementType, shape?: readonly (number | string)[]): ValueSpec =>
  shape ? { name, type, shape } : { name, type };
const X = (t: ElementType) => v('x', t, [2, 3]);
const Y = (t: ElementType) => v('y', t);

function unary(op: string, types: readonly ElementType[]): Recipe {
  return { op, params: { T: types }, build: ({ T }) => ({ inputs: [X(T!)], outputs: [Y(T!)] }) };
}
function binary(op: string, types: readonly ElementType[], out?: ElementType): Recipe {
  return {
    op,
    params: { T: types },
    build: ({ T }) => ({ inputs: [X(T!), v('b', T!, [2, 3])], outputs: [Y(out ?? T!)] }),
  };
}
/** Reductions over the last axis; `axesInputFrom` is the version that moved `axes` to an input. */
function reduce(op: string, types: readonly ElementType[], axesInputFrom: number): Recipe {
  return {
    op,
    params: { T: types },
    build: ({ T }, version) =>
      version >= axesInputFrom
        ? { inputs: [X(T!), v('axes', 'int64', [1])], outputs: [Y(T!)], attributes: { keepdims: { int: 0 } } }
        : { inputs: [X(T!)], outputs: [Y(T!)], attributes: { axes: { ints: [-1] }, keepdims: { int: 0 } } },
  };
}
function shapeOp(op: string, build: Recipe['build']): Recipe {
  return { op, params: { T: ALL }, build };
}
const ms = (op: string, params: Recipe['params'], build: Recipe['build']): Recipe => ({
  op,
  domain: 'com.microsoft',
  params,
  build,
});

/** A branch or body graph that passes an outer-scope value through. */
const passThrough = (name: string, outer: string, type: ElementType): GraphSpec => ({
  name,
  inputs: [],
  outputs: [v(`${name}_out`, type)],
  nodes: [{ op: 'Identity', inputs: [outer], outputs: [`${name}_out`] }],
});

export const RECIPES: readonly Recipe[] = [
  ...['Abs', 'Neg'].map((op) => unary(op, NUMBERS)),
  ...['Exp', 'Log', 'Sqrt', 'Reciprocal', 'Sigmoid', 'Tanh', 'Erf', 'Relu', 'Softplus', 'Floor', 'Ceil'].map(
    (op) => unary(op, FLOATS),
  ),
  unary('Sign', NUMBERS),
  unary('Identity', ALL),
  { op: 'NonZero', params: { T: ALL }, build: ({ T }) => ({ inputs: [X(T!)], outputs: [Y('int64')] }) },
  ...['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow'].map((op) => binary(op, NUMBERS)),
  ...['Less', 'Greater', 'GreaterOrEqual', 'LessOrEqual'].map((op) => binary(op, NUMBERS, 'bool')),
  binary('Equal', [...NUMBERS, 'bool'], 'bool'),
  ...['And', 'Or', 'Xor'].map((op) => binary(op, ['bool'])),
  unary('Not', ['bool']),
  {
    op: 'Where',
    params: { T: ALL },
    build: ({ T }) => ({ inputs: [v('c', 'bool', [2, 3]), X(T!), v('b', T!, [2, 3])], outputs: [Y(T!)] }),
  },
  {
    op: 'Cast',
    params: { T1: ALL, T2: ALL },
    build: ({ T1, T2 }) => ({ inputs: [X(T1!)], outputs: [Y(T2!)], attributes: { to: { int: typeCode(T2!) } } }),
  },
  ...['Softmax', 'LogSoftmax'].map(
    (op): Recipe => ({
      op,
      params: { T: FLOATS },
      build: ({ T }) => ({ inputs: [X(T!)], outputs: [Y(T!)], attributes: { axis: { int: -1 } } }),
    }),
  ),
  reduce('ReduceSum', NUMBERS, 13),
  ...['ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceLogSumExp', 'ReduceSumSquare'].map((op) =>
    reduce(op, NUMBERS, 18),
  ),
  ...['ArgMax', 'ArgMin'].map(
    (op): Recipe => ({
      op,
      params: { T: NUMBERS },
      build: ({ T }) => ({
        inputs: [X(T!)],
        outputs: [Y('int64')],
        attributes: { axis: { int: -1 }, keepdims: { int: 0 } },
      }),
    }),
  ),
  {
    op: 'TopK',
    params: { T: NUMBERS },
    build: ({ T }, version) => ({
      inputs: version >= 10 ? [X(T!), v('k', 'int64', [1])] : [X(T!)],
      outputs: [Y(T!), v('i', 'int64')],
      attributes: version >= 10 ? { axis: { int: -1 } } : { axis: { int: -1 }, k: { int: 2 } },
    }),
  },
  {
    op: 'MatMul',
    params: { T: NUMBERS },
    build: ({ T }) => ({ inputs: [X(T!), v('w', T!, [3, 4])], outputs: [Y(T!)] }),
  },
  {
    op: 'Gemm',
    params: { T: NUMBERS },
    build: ({ T }) => ({ inputs: [X(T!), v('w', T!, [4, 3]), v('c', T!, [4])], outputs: [Y(T!)], attributes: { transB: { int: 1 } } }),
  },
  {
    op: 'LayerNormalization',
    params: { T: FLOATS },
    build: ({ T }) => ({
      inputs: [X(T!), v('scale', T!, [3]), v('bias', T!, [3])],
      outputs: [Y(T!)],
      attributes: { axis: { int: -1 } },
    }),
  },
  unary('Gelu', FLOATS),
  {
    op: 'Conv',
    params: { T: FLOATS },
    build: ({ T }) => ({
      inputs: [v('x', T!, [1, 2, 5]), v('w', T!, [2, 1, 3])],
      outputs: [Y(T!)],
      attributes: { group: { int: 2 }, pads: { ints: [2, 0] } },
    }),
  },
  {
    op: 'CumSum',
    params: { T: NUMBERS },
    build: ({ T }) => ({ inputs: [X(T!), v('axis', 'int64', [])], outputs: [Y(T!)] }),
  },
  {
    op: 'Range',
    params: { T: ['float32', 'float64', 'int32', 'int64'] },
    build: ({ T }) => ({ inputs: [v('s', T!, []), v('l', T!, []), v('d', T!, [])], outputs: [Y(T!)] }),
  },
  shapeOp('Concat', ({ T }) => ({ inputs: [X(T!), v('b', T!, [2, 3])], outputs: [Y(T!)], attributes: { axis: { int: -1 } } })),
  {
    op: 'Gather',
    params: { T: ALL, Tind: INDEX },
    build: ({ T, Tind }) => ({ inputs: [X(T!), v('i', Tind!, [2])], outputs: [Y(T!)], attributes: { axis: { int: 0 } } }),
  },
  {
    op: 'GatherND',
    params: { T: NUMBERS },
    build: ({ T }) => ({ inputs: [X(T!), v('i', 'int64', [2, 1])], outputs: [Y(T!)] }),
  },
  {
    op: 'ScatterND',
    params: { T: NUMBERS },
    build: ({ T }) => ({ inputs: [X(T!), v('i', 'int64', [1, 1]), v('u', T!, [1, 3])], outputs: [Y(T!)] }),
  },
  shapeOp('Slice', ({ T }, version) =>
    version >= 10
      ? { inputs: [X(T!), v('starts', 'int64', [1]), v('ends', 'int64', [1]), v('axes', 'int64', [1])], outputs: [Y(T!)] }
      : { inputs: [X(T!)], outputs: [Y(T!)], attributes: { starts: { ints: [0] }, ends: { ints: [1] } } },
  ),
  shapeOp('Reshape', ({ T }) => ({ inputs: [X(T!), v('shape', 'int64', [2])], outputs: [Y(T!)] })),
  shapeOp('Expand', ({ T }) => ({ inputs: [X(T!), v('shape', 'int64', [2])], outputs: [Y(T!)] })),
  shapeOp('Tile', ({ T }) => ({ inputs: [X(T!), v('repeats', 'int64', [2])], outputs: [Y(T!)] })),
  shapeOp('Transpose', ({ T }) => ({ inputs: [X(T!)], outputs: [Y(T!)], attributes: { perm: { ints: [1, 0] } } })),
  shapeOp('Flatten', ({ T }) => ({ inputs: [X(T!)], outputs: [Y(T!)], attributes: { axis: { int: 1 } } })),
  ...['Squeeze', 'Unsqueeze'].map((op) =>
    shapeOp(op, ({ T }, version) =>
      version >= 13
        ? { inputs: [v('x', T!, [1, 3]), v('axes', 'int64', [1])], outputs: [Y(T!)] }
        : { inputs: [v('x', T!, [1, 3])], outputs: [Y(T!)], attributes: { axes: { ints: [0] } } },
    ),
  ),
  shapeOp('Split', ({ T }, version) => ({
    inputs: [X(T!)],
    outputs: [v('y0', T!), v('y1', T!)],
    attributes: version >= 18 ? { axis: { int: 0 }, num_outputs: { int: 2 } } : { axis: { int: 0 } },
  })),
  { op: 'Shape', params: { T: ALL }, build: ({ T }) => ({ inputs: [X(T!)], outputs: [Y('int64')] }) },
  { op: 'Size', params: { T: ALL }, build: ({ T }) => ({ inputs: [X(T!)], outputs: [Y('int64')] }) },
  {
    op: 'If',
    params: { V: ALL },
    build: ({ V }) => ({
      inputs: [v('cond', 'bool', []), X(V!)],
      nodeInputs: ['cond'],
      outputs: [Y(V!)],
      attributes: { then_branch: { graph: passThrough('then', 'x', V!) }, else_branch: { graph: passThrough('else', 'x', V!) } },
    }),
  },
  {
    op: 'Loop',
    params: { V: ['float32', 'float16', 'int32', 'int64'] },
    build: ({ V }) => ({
      inputs: [v('m', 'int64', []), v('cond', 'bool', []), X(V!)],
      outputs: [Y(V!)],
      attributes: {
        body: {
          graph: {
            name: 'body',
            inputs: [v('iter', 'int64', []), v('c_in', 'bool', []), v('h', V!)],
            outputs: [v('c_out', 'bool'), v('h_out', V!)],
            nodes: [
              { op: 'Identity', inputs: ['c_in'], outputs: ['c_out'] },
              { op: 'Identity', inputs: ['h'], outputs: ['h_out'] },
            ],
          },
        },
      },
    }),
  },
  {
    op: 'Scan',
    params: { V: ['float32', 'float16', 'int32', 'int64'] },
    build: ({ V }) => ({
      inputs: [v('h0', V!, [3]), X(V!)],
      outputs: [v('h', V!), Y(V!)],
      attributes: {
        num_scan_inputs: { int: 1 },
        body: {
          graph: {
            name: 'body',
            inputs: [v('s', V!, [3]), v('xi', V!, [3])],
            outputs: [v('s_out', V!), v('y_out', V!)],
            nodes: [
              { op: 'Add', inputs: ['s', 'xi'], outputs: ['s_out'] },
              { op: 'Identity', inputs: ['s_out'], outputs: ['y_out'] },
            ],
          },
        },
      },
    }),
  },
  ms('Gelu', { T: FLOATS }, ({ T }) => ({ inputs: [X(T!)], outputs: [Y(T!)] })),
  ms('FastGelu', { T: FLOATS }, ({ T }) => ({ inputs: [X(T!)], outputs: [Y(T!)] })),
  ms('BiasGelu', { T: FLOATS }, ({ T }) => ({ inputs: [X(T!), v('b', T!, [3])], outputs: [Y(T!)] })),
  ms('SkipLayerNormalization', { T: FLOATS }, ({ T }) => ({
    inputs: [v('x', T!, [1, 2, 3]), v('skip', T!, [1, 2, 3]), v('gamma', T!, [3]), v('beta', T!, [3])],
    outputs: [Y(T!)],
  })),
];
