import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  Builder,
  importModel,
  type Model,
  Node,
  printModel,
  Value,
  verifyModel,
  writeModel,
} from '../../src/ir/index.js';
import { protos } from '../../src/ir/onnx-types.js';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();
const load = (name: string): { bytes: Uint8Array; model: Model } => {
  const bytes = readFileSync(fixturePath(name));
  const { model, diagnostics } = importModel(bytes, name);
  expect(diagnostics).toEqual([]);
  return { bytes, model: model! };
};

async function outputsOf(bytes: Uint8Array, examples = 8): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  const t = fixture.sequence;
  const out = await session.run({
    input_ids: new ort.Tensor('int64', fixture.inputIds.slice(0, examples * t), [examples, t]),
    attention_mask: new ort.Tensor('int64', fixture.attentionMask.slice(0, examples * t), [examples, t]),
  });
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

describe('ONNX import and export', () => {
  it.each(['backbone.onnx', 'all-exits.onnx'])('round-trips %s field for field', async (name) => {
    const { bytes, model } = load(name);
    const written = writeModel(model);
    const original = protos.ModelProto.toObject(protos.ModelProto.decode(bytes), {
      longs: String,
      bytes: String,
    });
    const again = protos.ModelProto.toObject(protos.ModelProto.decode(written), {
      longs: String,
      bytes: String,
    });
    expect(again).toEqual(original);
    expect(await outputsOf(written)).toEqual(await outputsOf(bytes));
  });

  it('prints deterministically', () => {
    const a = printModel(load('backbone.onnx').model);
    const b = printModel(load('backbone.onnx').model);
    expect(a).toBe(b);
    expect(a).toContain('/bert/encoder/layer.5/output/LayerNorm/LayerNormalization');
  });

  it.each([
    ['an empty file', new Uint8Array(0)],
    ['random bytes', Uint8Array.from({ length: 512 }, (_, k) => (k * 2654435761) % 251)],
    ['a truncated model', readFileSync(fixturePath('backbone.onnx')).subarray(0, 5000)],
  ])('reports %s as a diagnostic, never an exception', (_label, bytes) => {
    const result = importModel(bytes, 'bad.onnx');
    expect(result.model).toBeUndefined();
    expect(result.diagnostics[0]).toMatchObject({ code: 'OR4001', graph: { file: 'bad.onnx' } });
  });
});

describe('the verifier', () => {
  const fresh = () => load('backbone.onnx').model;

  it('accepts the fixture', () => {
    expect(verifyModel(fresh())).toEqual([]);
  });

  it('rejects a read of an undefined value, naming the node and tensor', () => {
    const model = fresh();
    const node = model.graph.nodes[10]!;
    node.inputs[0] = new Value('nowhere', undefined, model.graph);
    const [d] = verifyModel(model, 'm.onnx');
    expect(d).toMatchObject({
      code: 'OR4002',
      graph: { file: 'm.onnx', node: node.name, tensor: 'nowhere' },
    });
  });

  it('rejects a value defined twice', () => {
    const model = fresh();
    model.graph.nodes[20]!.outputs[0]!.name = model.graph.nodes[10]!.outputs[0]!.name;
    expect(verifyModel(model).map((d) => d.code)).toContain('OR4003');
  });

  it('rejects nodes out of topological order', () => {
    const model = fresh();
    const consumer = model.graph.nodes.find((n) => n.op === 'LayerNormalization')!;
    model.graph.nodes = [consumer, ...model.graph.nodes.filter((n) => n !== consumer)];
    expect(verifyModel(model).map((d) => d.code)).toContain('OR4007');
  });

  it('rejects a domain without an opset import', () => {
    const model = fresh();
    model.graph.nodes[0]!.domain = 'com.example';
    expect(verifyModel(model).map((d) => d.code)).toContain('OR4006');
  });

  it('rejects If branches that disagree in output count or element type', () => {
    const model = fresh();
    const b = new Builder(model, model.graph);
    const cond = b.scalar('cond', 1, 'bool');
    const thenBranch = b.subgraph('then');
    const elseBranch = b.subgraph('else');
    const one = b.into(thenBranch).scalar('one', 1, 'float32');
    thenBranch.outputs.push(b.into(thenBranch).op('Identity', [one]));
    thenBranch.outputs[0]!.type = { elementType: 1 };
    const two = b.into(elseBranch).scalar('two', 2, 'int64');
    elseBranch.outputs.push(b.into(elseBranch).op('Identity', [two]));
    elseBranch.outputs[0]!.type = { elementType: 7 };
    const node = new Node(
      'If',
      '',
      'bad_if',
      [cond],
      [new Value('if_out', undefined, model.graph)],
      model.graph,
    );
    node.attributes.set('then_branch', { kind: 'graph', value: thenBranch });
    node.attributes.set('else_branch', { kind: 'graph', value: elseBranch });
    thenBranch.owner = node;
    elseBranch.owner = node;
    model.graph.nodes.push(node);
    const problems = verifyModel(model).filter((d) => d.code === 'OR4005');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('element type');
    elseBranch.outputs.push(elseBranch.outputs[0]!);
    expect(
      verifyModel(model)
        .filter((d) => d.code === 'OR4005')
        .some((d) => d.message.includes('outputs')),
    ).toBe(true);
  });
});
