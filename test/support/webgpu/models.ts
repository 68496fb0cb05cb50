/**
 * Small real models for the WebGPU target tests, with deterministic weights, plus their node lists in
 * the form `checkOpSupport` takes.
 */
import type { ElementType, OpNode } from '../../../src/targets/index.js';
import { buildModel, type GraphSpec, type InitializerSpec } from './onnx-builder.js';

/** Deterministic, well-spread weights (no RNG state shared between tests). */
function weights(name: string, dims: readonly number[], seed: number): InitializerSpec {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: count }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.8);
  return { name, type: 'float32', dims, values };
}

export const MLP_INPUT = 8;
export const MLP_HIDDEN = 16;
export const MLP_CLASSES = 5;

/**
 * x[N,8] → Gemm → Tanh → MatMul+Add → Softmax = probs; conf = ReduceMax(probs) over everything;
 * If(conf > threshold) then probs (confident: exit) else Softmax(logits · 0.5) (a softer re-scoring),
 * so both branches do real work on the device. `cond` is computed on the GPU and copied to the host.
 */
export const mlpWithExitGraph: GraphSpec = {
  name: 'mlp_exit',
  inputs: [
    { name: 'x', type: 'float32', shape: ['N', MLP_INPUT] },
    { name: 'threshold', type: 'float32', shape: [] },
  ],
  outputs: [
    { name: 'probs', type: 'float32', shape: ['N', MLP_CLASSES] },
    { name: 'out', type: 'float32', shape: ['N', MLP_CLASSES] },
  ],
  initializers: [
    weights('w1', [MLP_HIDDEN, MLP_INPUT], 1),
    weights('b1', [MLP_HIDDEN], 2),
    weights('w2', [MLP_HIDDEN, MLP_CLASSES], 3),
    weights('b2', [MLP_CLASSES], 4),
    { name: 'half', type: 'float32', dims: [], values: [0.5] },
  ],
  nodes: [
    {
      op: 'Gemm',
      name: 'fc1',
      inputs: ['x', 'w1', 'b1'],
      outputs: ['h_pre'],
      attributes: { transB: { int: 1 } },
    },
    { op: 'Tanh', name: 'act', inputs: ['h_pre'], outputs: ['h'] },
    { op: 'MatMul', name: 'fc2', inputs: ['h', 'w2'], outputs: ['l_pre'] },
    { op: 'Add', name: 'fc2_bias', inputs: ['l_pre', 'b2'], outputs: ['logits'] },
    {
      op: 'Softmax',
      name: 'softmax',
      inputs: ['logits'],
      outputs: ['probs'],
      attributes: { axis: { int: -1 } },
    },
    {
      op: 'ReduceMax',
      name: 'confidence',
      inputs: ['probs'],
      outputs: ['conf'],
      attributes: { keepdims: { int: 0 } },
    },
    { op: 'Greater', name: 'confident', inputs: ['conf', 'threshold'], outputs: ['cond'] },
    {
      op: 'If',
      name: 'exit_if',
      inputs: ['cond'],
      outputs: ['out'],
      attributes: {
        then_branch: {
          graph: {
            name: 'exit',
            inputs: [],
            outputs: [{ name: 'then_out', type: 'float32' }],
            nodes: [{ op: 'Identity', name: 'exit/take', inputs: ['probs'], outputs: ['then_out'] }],
          },
        },
        else_branch: {
          graph: {
            name: 'rescore',
            inputs: [],
            outputs: [{ name: 'else_out', type: 'float32' }],
            nodes: [
              { op: 'Mul', name: 'rescore/scale', inputs: ['logits', 'half'], outputs: ['soft'] },
              {
                op: 'Softmax',
                name: 'rescore/softmax',
                inputs: ['soft'],
                outputs: ['else_out'],
                attributes: { axis: { int: -1 } },
              },
            ],
          },
        },
      },
    },
  ],
};

/** A running sum over the rows of x[T,4] as a Loop: Loop has no WebGPU kernel. */
export const loopGraph: GraphSpec = {
  name: 'loop_sum',
  inputs: [
    { name: 'x', type: 'float32', shape: ['T', 4] },
    { name: 'trips', type: 'int64', shape: [] },
  ],
  outputs: [{ name: 'total', type: 'float32', shape: [4] }],
  initializers: [
    { name: 'keep_going', type: 'bool', dims: [], values: [1] },
    { name: 'zeros', type: 'float32', dims: [4], values: [0, 0, 0, 0] },
  ],
  nodes: [
    {
      op: 'Loop',
      name: 'running_sum',
      inputs: ['trips', 'keep_going', 'zeros'],
      outputs: ['total'],
      attributes: {
        body: {
          graph: {
            name: 'body',
            inputs: [
              { name: 'i', type: 'int64', shape: [] },
              { name: 'c_in', type: 'bool', shape: [] },
              { name: 'acc', type: 'float32', shape: [4] },
            ],
            outputs: [
              { name: 'c_out', type: 'bool', shape: [] },
              { name: 'acc_out', type: 'float32', shape: [4] },
            ],
            nodes: [
              { op: 'Identity', name: 'body/cond', inputs: ['c_in'], outputs: ['c_out'] },
              {
                op: 'Gather',
                name: 'body/row',
                inputs: ['x', 'i'],
                outputs: ['row'],
                attributes: { axis: { int: 0 } },
              },
              { op: 'Add', name: 'body/add', inputs: ['acc', 'row'], outputs: ['acc_out'] },
            ],
          },
        },
      },
    },
  ],
};

export const mlpWithExitModel = (): Uint8Array => buildModel({ opset: 17, graph: mlpWithExitGraph });
export const loopModel = (): Uint8Array => buildModel({ opset: 17, graph: loopGraph });

/**
 * The nodes of a graph and its subgraphs, typed by `typeOf(value)`, as `checkOpSupport` takes them.
 * These test graphs are float32 except where `typeOf` says otherwise.
 */
export function opNodesOf(
  graph: GraphSpec,
  typeOf: (value: string) => ElementType,
  inSubgraph = false,
): OpNode[] {
  return graph.nodes.flatMap((n) => {
    const self: OpNode = {
      name: n.name ?? n.op,
      op: n.op,
      domain: n.domain ?? '',
      inputTypes: n.inputs.map(typeOf),
      outputTypes: n.outputs.map(typeOf),
      inSubgraph,
    };
    const bodies = Object.values(n.attributes ?? {}).flatMap((a) => ('graph' in a ? [a.graph] : []));
    return [self, ...bodies.flatMap((g) => opNodesOf(g, typeOf, true))];
  });
}
