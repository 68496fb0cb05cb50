import { describe, expect, it } from 'vitest';
import {
  Builder,
  currentOnnx,
  ElementType,
  Graph,
  importModel,
  Model,
  type Node,
  sortTopologically,
  verifyModel,
} from '../../src/ir/index.js';

const FLOAT = 1;
const type = { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: 2 }] } } };
interface NodeText {
  readonly op: string;
  readonly in: string[];
  readonly out: string[];
  readonly name: string;
  readonly domain?: string;
  readonly branch?: NodeText[];
  readonly branchOut?: string[];
}

const nodeProto = (n: NodeText): Record<string, unknown> => ({
  input: n.in,
  output: n.out,
  name: n.name,
  opType: n.op,
  ...(n.domain ? { domain: n.domain } : {}),
  ...(n.branch
    ? {
        // then: the given nodes; else: Identity(x), so only the then branch carries the case under test.
        attribute: [
          { name: 'then_branch', nodes: n.branch, outputs: n.branchOut! },
          {
            name: 'else_branch',
            nodes: [{ op: 'Identity', in: ['x'], out: [`${n.name}_else`], name: `${n.name}_else` }],
            outputs: [`${n.name}_else`],
          },
        ].map((branch) => ({
          name: branch.name,
          type: 5,
          g: {
            name: `${n.name}_${branch.name}`,
            node: branch.nodes.map(nodeProto),
            output: branch.outputs.map((o) => ({ name: o, type })),
          },
        })),
      }
    : {}),
});

/** Bytes of a model with inputs x (float[2]), cond (bool[]) and the given nodes and outputs. */
function bytesOf(nodes: NodeText[], outputs: string[], irVersion = 8): Uint8Array {
  return currentOnnx.ModelProto.encode(
    currentOnnx.ModelProto.fromObject({
      irVersion,
      opsetImport: [{ version: 17 }],
      graph: {
        name: 'g',
        node: nodes.map(nodeProto),
        input: [
          { name: 'x', type },
          { name: 'cond', type: { tensorType: { elemType: 9, shape: { dim: [] } } } },
        ],
        output: outputs.map((name) => ({ name, type })),
      },
    }),
  ).finish();
}

const codes = (bytes: Uint8Array) => {
  const { model, diagnostics } = importModel(bytes, 'broken.onnx');
  return [...diagnostics, ...(model ? verifyModel(model, 'broken.onnx') : [])];
};

describe('the verifier rejects broken graphs with the right code, naming node and tensor', () => {
  it('OR4002: a read of a name nothing defines', () => {
    const problems = codes(bytesOf([{ op: 'Relu', in: ['ghost'], out: ['y'], name: 'relu' }], ['y']));
    expect(problems[0]).toMatchObject({
      code: 'OR4002',
      graph: { file: 'broken.onnx', node: 'relu', tensor: 'ghost' },
    });
  });

  it('OR4002: a graph output nothing defines', () => {
    const problems = codes(bytesOf([{ op: 'Relu', in: ['x'], out: ['y'], name: 'relu' }], ['z']));
    expect(problems.map((d) => [d.code, d.graph?.tensor])).toEqual([['OR4002', 'z']]);
  });

  it('OR4003: a value defined twice, and a branch shadowing an outer name', () => {
    const twice = codes(
      bytesOf(
        [
          { op: 'Relu', in: ['x'], out: ['y'], name: 'a' },
          { op: 'Neg', in: ['x'], out: ['y'], name: 'b' },
        ],
        ['y'],
      ),
    );
    expect(twice.map((d) => d.code)).toContain('OR4003');
    expect(twice.find((d) => d.code === 'OR4003')!.graph).toMatchObject({ node: 'b', tensor: 'y' });
    const shadow = codes(
      bytesOf(
        [
          { op: 'Relu', in: ['x'], out: ['r'], name: 'relu' },
          {
            op: 'If',
            in: ['cond'],
            out: ['y'],
            name: 'if',
            branch: [{ op: 'Neg', in: ['x'], out: ['r'], name: 'inner' }],
            branchOut: ['r'],
          },
        ],
        ['y'],
      ),
    );
    expect(shadow.find((d) => d.code === 'OR4003')).toMatchObject({ graph: { node: 'inner', tensor: 'r' } });
  });

  it('OR4007: a read before the value is computed, in the graph or from a branch', () => {
    const late = codes(
      bytesOf(
        [
          { op: 'Neg', in: ['r'], out: ['y'], name: 'neg' },
          { op: 'Relu', in: ['x'], out: ['r'], name: 'relu' },
        ],
        ['y'],
      ),
    );
    expect(late.map((d) => [d.code, d.graph?.node, d.graph?.tensor])).toEqual([['OR4007', 'neg', 'r']]);
    const capture = codes(
      bytesOf(
        [
          {
            op: 'If',
            in: ['cond'],
            out: ['y'],
            name: 'if',
            branch: [{ op: 'Neg', in: ['r'], out: ['t'], name: 'inner' }],
            branchOut: ['t'],
          },
          { op: 'Relu', in: ['x'], out: ['r'], name: 'relu' },
        ],
        ['y'],
      ),
    );
    expect(capture.map((d) => [d.code, d.graph?.node, d.graph?.tensor])).toEqual([['OR4007', 'inner', 'r']]);
  });

  it('OR4012: a cycle, named once, and the graph cannot be sorted', () => {
    const bytes = bytesOf(
      [
        { op: 'Add', in: ['x', 'b'], out: ['a'], name: 'first' },
        { op: 'Relu', in: ['a'], out: ['b'], name: 'second' },
        { op: 'Neg', in: ['b'], out: ['y'], name: 'third' },
      ],
      ['y'],
    );
    const problems = codes(bytes);
    expect(problems.map((d) => d.code)).toEqual(['OR4012']);
    expect(problems[0]!.message).toMatch(/first → second|second → first/);
    const { model } = importModel(bytes);
    expect(sortTopologically(model!.graph)).toBe(false);
  });

  it('sorts a graph that is only out of order, after which it verifies', () => {
    const { model } = importModel(
      bytesOf(
        [
          { op: 'Neg', in: ['r'], out: ['y'], name: 'neg' },
          { op: 'Relu', in: ['x'], out: ['r'], name: 'relu' },
        ],
        ['y'],
      ),
    );
    expect(sortTopologically(model!.graph)).toBe(true);
    expect(model!.graph.nodes.map((n: Node) => n.name)).toEqual(['relu', 'neg']);
    expect(verifyModel(model!)).toEqual([]);
  });

  it('OR4006: a domain without an opset import', () => {
    const problems = codes(
      bytesOf([{ op: 'Gelu', in: ['x'], out: ['y'], name: 'gelu', domain: 'com.microsoft' }], ['y']),
    );
    expect(problems).toMatchObject([{ code: 'OR4006', graph: { node: 'gelu' } }]);
  });

  it('OR4005: If branches that disagree in count or element type', () => {
    const graph = new Graph('g', undefined);
    const model = new Model(graph, [{ domain: '', version: 17 }], 8, {});
    const b = new Builder(model, graph);
    const cond = b.addInput('cond', { elementType: ElementType.bool, shape: [] });
    const node = b.ifNode({
      cond,
      name: 'disagree',
      thenBranch: (t) => [t.scalar('f', 1, 'float32')],
      elseBranch: (e) => [e.scalar('i', 1, 'int64')],
    });
    b.addOutput(node.outputs[0]!);
    const problems = verifyModel(model, 'if.onnx');
    expect(problems).toMatchObject([{ code: 'OR4005', graph: { file: 'if.onnx', node: 'disagree' } }]);
    expect(problems[0]!.message).toContain('element type');
    node.subgraphs()[1]!.outputs.push(node.subgraphs()[1]!.outputs[0]!);
    expect(verifyModel(model).some((d) => d.code === 'OR4005' && d.message.includes('outputs'))).toBe(true);
  });

  it('accepts a well-formed model with a capturing branch', () => {
    const graph = new Graph('g', undefined);
    const model = new Model(graph, [{ domain: '', version: 17 }], 8, {});
    const b = new Builder(model, graph);
    const cond = b.addInput('cond', { elementType: ElementType.bool, shape: [] });
    const x = b.addInput('x', { elementType: ElementType.float32, shape: [2] });
    const relu = b.op('Relu', [x]);
    const node = b.ifNode({ cond, thenBranch: (t) => [t.op('Neg', [relu])], elseBranch: () => [relu] });
    b.addOutput(node.outputs[0]!);
    expect(verifyModel(model)).toEqual([]);
    expect(relu.uses.size).toBe(2);
  });
});
