import { describe, expect, it } from 'vitest';
import {
  checkOpSupport,
  loadBuiltinProfile,
  type OpNode,
  placeNode,
  type TargetProfile,
} from '../../src/targets/index.js';

const node = (
  op: string,
  types: OpNode['inputTypes'],
  out: OpNode['outputTypes'] = types,
  extra: Partial<OpNode> = {},
): OpNode => ({
  name: `/${op}`,
  op,
  domain: '',
  inputTypes: types,
  outputTypes: out,
  inSubgraph: false,
  ...extra,
});

/** A hand-made profile isolates the matching rule from the shipped tables. */
function profileWith(kernels: TargetProfile['operators']['kernels'], base: TargetProfile): TargetProfile {
  return { ...base, operators: { source: 'test', kernels } };
}

describe('checkOpSupport', () => {
  it('treats "N+" as exactly N, and closed ranges as ranges', async () => {
    const base = await loadBuiltinProfile('cpu');
    const profile = profileWith(
      [
        { op: 'If', domain: 'ai.onnx', versions: ['19+'], types: {} },
        { op: 'Softmax', domain: 'ai.onnx', versions: ['11-13'], types: {} },
      ],
      base,
    );
    const iff = node('If', ['bool'], ['float32']);
    expect(placeNode(iff, profile, { opset: 19 })).toEqual({ onDevice: true, version: 19 });
    expect(placeNode(iff, profile, { opset: 20 })).toEqual({ onDevice: true, version: 19 });
    expect(placeNode(iff, profile, { opset: 21 })).toMatchObject({
      onDevice: false,
      reason: 'version',
      version: 21,
    });
    const [d] = checkOpSupport([iff], profile, { opset: 21, file: 'm.onnx' });
    expect(d!.code).toBe('OR6002');
    expect(d!.message).toContain('If-21');
    expect(d!.message).toContain('19+');
    expect(d!.graph).toEqual({ file: 'm.onnx', node: '/If' });
    expect(placeNode(node('Softmax', ['float32']), profile, { opset: 17 })).toMatchObject({
      onDevice: true,
      version: 13,
    });
  });

  it('names the node and the type parameter when an element type is not registered', async () => {
    const webgpu = await loadBuiltinProfile('webgpu-native');
    const diagnostics = checkOpSupport(
      [
        node('Softmax', ['float32']),
        node('Gather', ['float32', 'int64'], ['float32']),
        node('Add', ['int64', 'int64']),
        node('Cast', ['float32'], ['float64']),
      ],
      webgpu,
    );
    expect(diagnostics.map((d) => d.code)).toEqual(['OR6003', 'OR6003']);
    expect(diagnostics[0]!.message).toContain("'/Add'");
    expect(diagnostics[0]!.message).toContain('input 0 is int64');
    expect(diagnostics[1]!.message).toContain('output 0 is float64');
    expect(diagnostics[1]!.message).toContain('T2');
  });

  it('reports Loop and Scan on WebGPU, inside subgraphs too, and leaves them alone on CPU', async () => {
    const webgpu = await loadBuiltinProfile('webgpu-native');
    const cpu = await loadBuiltinProfile('cpu');
    const loop = node('Loop', ['int64', 'bool', 'float32'], ['float32'], { name: 'decode_loop' });
    const scan = node('Scan', ['float32', 'float32'], ['float32', 'float32'], {
      name: 'ssm',
      inSubgraph: true,
    });
    const diagnostics = checkOpSupport([loop, scan], webgpu);
    expect(diagnostics.map((d) => d.code)).toEqual(['OR6001', 'OR6001']);
    expect(diagnostics[0]!.message).toContain("'decode_loop'");
    expect(diagnostics[0]!.message).toContain('Loop/Scan');
    expect(diagnostics[1]!.message).toContain('inside a subgraph');
    expect(diagnostics[0]!.severity).toBe('error');
    expect(checkOpSupport([loop, scan], cpu)).toEqual([]);
  });

  it('follows the profile severity and reports unknown and not-yet-defined ops', async () => {
    const base = await loadBuiltinProfile('webgpu-jsep');
    const lenient: TargetProfile = { ...base, fallbackSeverity: 'warning' };
    const diagnostics = checkOpSupport(
      [node('FancyOp', ['float32']), node('Gelu', ['float32']), node('And', ['bool', 'bool'])],
      lenient,
    );
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ['OR6004', 'warning'],
      ['OR6005', 'warning'],
      ['OR6001', 'warning'],
    ]);
    expect(diagnostics[1]!.message).toContain('first appears in opset 20');
  });

  it('passes the ops the exit policies emit at opset 17 on native WebGPU in float32', async () => {
    const webgpu = await loadBuiltinProfile('webgpu-native');
    const f = 'float32' as const;
    const nodes = [
      node('Softmax', [f]),
      node('ReduceMax', [f, 'int64']),
      node('ReduceSum', [f, 'int64']),
      node('ReduceLogSumExp', [f, 'int64']),
      node('ArgMax', [f], ['int64']),
      node('TopK', [f, 'int64'], [f, 'int64']),
      node('Where', ['bool', f, f]),
      node('Greater', [f, f], ['bool']),
      node('GreaterOrEqual', [f, f], ['bool']),
      node('Less', [f, f], ['bool']),
      node('Equal', [f, f], ['bool']),
      node('And', ['bool', 'bool']),
      node('Not', ['bool']),
      node('Cast', ['bool'], [f]),
      node('Sigmoid', [f]),
      node('Tanh', [f]),
      node('Gemm', [f, f, f]),
      node('MatMul', [f, f]),
      node('Concat', [f, f]),
      node('LayerNormalization', [f, f, f]),
      node('Erf', [f]),
      node('Sqrt', [f]),
      node('Pow', [f, f]),
      node('If', ['bool'], [f]),
    ];
    expect(checkOpSupport(nodes, webgpu)).toEqual([]);
    // Probed gaps: no Or kernel at all, and LogSoftmax only as float16 (ORT expands its function body).
    expect(
      checkOpSupport([node('Or', ['bool', 'bool']), node('LogSoftmax', [f])], webgpu).map((d) => d.code),
    ).toEqual(['OR6001', 'OR6003']);
  });
});
