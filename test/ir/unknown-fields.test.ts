import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { Builder, importModel, writeModel } from '../../src/ir/index.js';
import { currentOnnx } from '../../src/ir/onnx-schema.js';
import { protos } from '../../src/ir/onnx-types.js';

const LENGTH_DELIMITED = 2;
const VARINT = 0;
const tag = (w: protobuf.Writer, field: number, wire: number) => w.uint32((field << 3) | wire);

function entry(w: protobuf.Writer, field: number, key: string, value: string) {
  tag(w, field, LENGTH_DELIMITED).fork();
  tag(w, 1, LENGTH_DELIMITED).string(key);
  tag(w, 2, LENGTH_DELIMITED).string(value);
  w.ldelim();
}

/** ValueInfoProto float32[2,3], optionally with IR-10 metadata_props (field 4). */
function valueInfo(w: protobuf.Writer, field: number, name: string, metadata?: [string, string]) {
  tag(w, field, LENGTH_DELIMITED).fork();
  tag(w, 1, LENGTH_DELIMITED).string(name);
  tag(w, 2, LENGTH_DELIMITED).fork(); // TypeProto
  tag(w, 1, LENGTH_DELIMITED).fork(); // tensor_type
  tag(w, 1, VARINT).int32(1);
  tag(w, 2, LENGTH_DELIMITED).fork(); // shape
  for (const d of [2, 3]) {
    tag(w, 1, LENGTH_DELIMITED).fork();
    tag(w, 1, VARINT).int64(d);
    w.ldelim();
  }
  w.ldelim().ldelim().ldelim();
  if (metadata) entry(w, 4, ...metadata);
  w.ldelim();
}

const SCOPES = "['', 'encoder', 'encoder.layers.0', 'encoder.layers.0.act']";

/**
 * An IR-10 model as the dynamo exporter shapes it: Relu → Neg with each node's module path in
 * NodeProto.metadata_props (field 9), plus GraphProto.metadata_props (16) and ModelProto.metadata_props
 * (14). Fields are written in field-number order, as the C++ protobuf serializer writes them.
 */
function dynamoStyleModel(): Uint8Array {
  const w = protobuf.Writer.create();
  tag(w, 1, VARINT).int64(10); // ir_version
  tag(w, 2, LENGTH_DELIMITED).string('pytorch');
  tag(w, 7, LENGTH_DELIMITED).fork(); // graph
  const node = (input: string, output: string, name: string, op: string, scopes: string) => {
    tag(w, 1, LENGTH_DELIMITED).fork();
    tag(w, 1, LENGTH_DELIMITED).string(input);
    tag(w, 2, LENGTH_DELIMITED).string(output);
    tag(w, 3, LENGTH_DELIMITED).string(name);
    tag(w, 4, LENGTH_DELIMITED).string(op);
    entry(w, 9, 'pkg.torch.onnx.name_scopes', scopes);
    entry(w, 9, 'pkg.torch.onnx.class_hierarchy', "['Model', 'ReLU']");
    w.ldelim();
  };
  node('x', 'relu', 'node_relu', 'Relu', SCOPES);
  node('relu', 'y', 'node_neg', 'Neg', "['', 'head']");
  tag(w, 2, LENGTH_DELIMITED).string('main_graph');
  valueInfo(w, 11, 'x', ['origin', 'input_ids']);
  valueInfo(w, 12, 'y');
  entry(w, 16, 'graph.note', 'kept');
  w.ldelim();
  tag(w, 8, LENGTH_DELIMITED).fork(); // opset_import
  tag(w, 2, VARINT).int64(21);
  w.ldelim();
  entry(w, 14, 'model.note', 'kept too');
  return w.finish();
}

async function run(bytes: Uint8Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const x = Float32Array.of(-1.5, 2, 0, 3.25, -0.5, 7);
  const out = await session.run({ x: new ort.Tensor('float32', x, [2, 3]) });
  return out[session.outputNames[0]!]!.data as Float32Array;
}

describe('fields newer than onnx-proto', () => {
  const bytes = dynamoStyleModel();

  it('are lost by onnx-proto 8.0.1 alone (so this test can tell)', () => {
    const reencoded = protos.ModelProto.encode(protos.ModelProto.decode(bytes)).finish();
    expect(reencoded.length).toBeLessThan(bytes.length);
  });

  it('survive import → export byte for byte', async () => {
    const { model, diagnostics } = importModel(bytes, 'dynamo.onnx');
    expect(diagnostics).toEqual([]);
    const written = writeModel(model!);
    expect(Buffer.from(written).equals(Buffer.from(bytes))).toBe(true);
    const relu = model!.graph.nodes[0]!;
    expect(relu.metadata().get('pkg.torch.onnx.name_scopes')).toBe(SCOPES);
    expect(model!.graph.nodes[1]!.metadata().get('pkg.torch.onnx.name_scopes')).toBe("['', 'head']");
    // Both load in onnxruntime and compute Neg(Relu(x)).
    const expected = Float32Array.of(-0, -2, -0, -3.25, -0, -7);
    expect(await run(bytes)).toEqual(expected);
    expect(await run(written)).toEqual(expected);
  });

  it('stay on untouched nodes when a pass edits the graph', async () => {
    const model = importModel(bytes, 'dynamo.onnx').model!;
    const b = new Builder(model, model.graph);
    const y = model.graph.outputs[0]!;
    const doubled = b.op('Add', [y, y], undefined, 'double');
    doubled.type = y.type;
    model.graph.outputs = [doubled];
    const proto = currentOnnx.ModelProto.toObject(currentOnnx.ModelProto.decode(writeModel(model)), {
      longs: Number,
    });
    const nodes = proto.graph.node as { name: string; metadataProps?: { key: string; value: string }[] }[];
    expect(nodes.map((n) => n.name)).toEqual(['node_relu', 'node_neg', 'double']);
    expect(nodes[0]!.metadataProps?.[0]).toEqual({ key: 'pkg.torch.onnx.name_scopes', value: SCOPES });
    expect(nodes[2]!.metadataProps ?? []).toEqual([]);
    expect(proto.graph.metadataProps).toEqual([{ key: 'graph.note', value: 'kept' }]);
    expect(proto.graph.input[0].metadataProps).toEqual([{ key: 'origin', value: 'input_ids' }]);
    expect(proto.metadataProps).toEqual([{ key: 'model.note', value: 'kept too' }]);
    expect(await run(writeModel(model))).toEqual(Float32Array.of(-0, -4, -0, -6.5, -0, -14));
  });
});
