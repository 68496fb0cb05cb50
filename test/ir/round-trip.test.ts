import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  currentOnnx,
  importModel,
  layoutModelFiles,
  type Model,
  readModel,
  saveModel,
  writeModel,
} from '../../src/ir/index.js';

const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;
const BIG = 9223372036854775807n; // int64 max: beyond a double's exact range
const weights = (seed: number) => Float32Array.from({ length: 16 }, (_, k) => Math.sin(k * seed) / 4);
const raw = (data: Float32Array) => new Uint8Array(data.buffer.slice(0));
const tensorType = (elemType: number, dims: (number | string)[]) => ({
  tensorType: {
    elemType,
    shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
  },
});
const meta = (key: string, value: string) => ({ key, value });

/**
 * A model with the features a lossless importer must keep, as a foreign tool would write it:
 *   x ─MatMul(Constant weights, unnamed node)─ Gelu (com.microsoft) ─ If(flag) ┬ then: If(flag2) ┬ then: g·W
 *                                                                              │                 └ else: g + x
 *                                                                              └ else: Neg(x)
 * plus an int64-max Constant, Gather with an int64 `axis`, node/graph/model metadata_props (IR 10), doc
 * strings, value_info and a model-level producer. Branches read outer values (x, g, W) as captures.
 */
function featureModel(): Uint8Array {
  const innerIf = {
    input: ['flag2'],
    output: ['inner'],
    name: 'inner_if',
    opType: 'If',
    attribute: [
      {
        name: 'then_branch',
        type: 5,
        g: {
          name: 'inner_then',
          node: [{ input: ['g', 'W'], output: ['t1'], name: '', opType: 'MatMul' }],
          output: [{ name: 't1', type: tensorType(FLOAT, ['batch', 4]) }],
        },
      },
      {
        name: 'else_branch',
        type: 5,
        g: {
          name: 'inner_else',
          node: [{ input: ['g', 'x'], output: ['e1'], name: 'inner_add', opType: 'Add' }],
          output: [{ name: 'e1', type: tensorType(FLOAT, ['batch', 4]) }],
        },
      },
    ],
  };
  const proto = {
    irVersion: 10,
    producerName: 'hand-built',
    producerVersion: '0.0',
    docString: 'round-trip features',
    opsetImport: [{ version: 17 }, { domain: 'com.microsoft', version: 1 }],
    metadataProps: [meta('model.note', 'kept')],
    graph: {
      name: 'features',
      docString: 'graph doc',
      node: [
        {
          output: ['c_w'],
          name: '',
          opType: 'Constant',
          attribute: [
            { name: 'value', type: 4, t: { dims: [4, 4], dataType: FLOAT, rawData: raw(weights(0.7)) } },
          ],
        },
        {
          input: ['x', 'c_w'],
          output: ['h'],
          name: '',
          opType: 'MatMul',
          metadataProps: [meta('pkg.torch.onnx.name_scopes', "['', 'proj']")],
        },
        {
          input: ['h'],
          output: ['g'],
          name: 'gelu',
          opType: 'Gelu',
          domain: 'com.microsoft',
          docString: 'contrib',
        },
        {
          output: ['big'],
          name: 'big_const',
          opType: 'Constant',
          attribute: [{ name: 'value_int', type: 2, i: BIG.toString() }],
        },
        {
          input: ['ids', 'index'],
          output: ['picked'],
          name: 'gather',
          opType: 'Gather',
          attribute: [{ name: 'axis', type: 2, i: 1 }],
        },
        {
          input: ['flag'],
          output: ['y'],
          name: 'outer_if',
          opType: 'If',
          attribute: [
            {
              name: 'then_branch',
              type: 5,
              g: {
                name: 'outer_then',
                node: [innerIf, { input: ['inner'], output: ['o1'], name: '', opType: 'Identity' }],
                output: [{ name: 'o1', type: tensorType(FLOAT, ['batch', 4]) }],
              },
            },
            {
              name: 'else_branch',
              type: 5,
              g: {
                name: 'outer_else',
                node: [{ input: ['x'], output: ['o2'], name: 'neg', opType: 'Neg' }],
                output: [{ name: 'o2', type: tensorType(FLOAT, ['batch', 4]) }],
              },
            },
          ],
        },
      ],
      initializer: [
        { dims: [4, 4], dataType: FLOAT, name: 'W', rawData: raw(weights(1.3)) },
        { dims: [2], dataType: INT64, name: 'index', int64Data: [1, 0] },
      ],
      input: [
        { name: 'x', type: tensorType(FLOAT, ['batch', 4]), docString: 'activations' },
        { name: 'ids', type: tensorType(INT64, [2, 3]) },
        { name: 'flag', type: tensorType(BOOL, []) },
        { name: 'flag2', type: tensorType(BOOL, []) },
      ],
      output: [
        { name: 'y', type: tensorType(FLOAT, ['batch', 4]) },
        { name: 'big', type: tensorType(INT64, []) },
        { name: 'picked', type: tensorType(INT64, [2, 2]) },
      ],
      valueInfo: [{ name: 'h', type: tensorType(FLOAT, ['batch', 4]) }],
      metadataProps: [meta('graph.note', 'kept')],
    },
  };
  return currentOnnx.ModelProto.encode(currentOnnx.ModelProto.fromObject(proto)).finish();
}

type Outputs = Record<string, { dims: readonly number[]; data: unknown[] }>;

async function outputsOf(source: Uint8Array | string, flag: boolean, flag2: boolean): Promise<Outputs> {
  const session =
    typeof source === 'string'
      ? await ort.InferenceSession.create(source, { logSeverityLevel: 3 })
      : await ort.InferenceSession.create(source, { logSeverityLevel: 3 });
  const out = await session.run({
    x: new ort.Tensor(
      'float32',
      Float32Array.from({ length: 8 }, (_, k) => k - 3.5),
      [2, 4],
    ),
    ids: new ort.Tensor('int64', BigInt64Array.of(1n, 2n, 3n, 4n, 5n, 6n), [2, 3]),
    flag: new ort.Tensor('bool', Uint8Array.of(flag ? 1 : 0), []),
    flag2: new ort.Tensor('bool', Uint8Array.of(flag2 ? 1 : 0), []),
  });
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => [
      k,
      { dims: v.dims, data: Array.from(v.data as ArrayLike<unknown>) },
    ]),
  );
}

const decoded = (bytes: Uint8Array) =>
  currentOnnx.ModelProto.toObject(currentOnnx.ModelProto.decode(bytes), { longs: String, bytes: String });

function load(bytes: Uint8Array, file = 'features.onnx'): Model {
  const { model, diagnostics } = importModel(bytes, file);
  expect(diagnostics).toEqual([]);
  return model!;
}

describe('lossless round trips', () => {
  const original = featureModel();

  it('re-emits an unchanged model byte for byte and field for field', () => {
    const written = writeModel(load(original));
    expect(decoded(written)).toEqual(decoded(original));
    expect(Buffer.from(written).equals(Buffer.from(original))).toBe(true);
  });

  it('interprets what it reads: captures, empty names, domains, int64 attributes, metadata', () => {
    const model = load(original);
    const [constant, matmul, gelu, big, gather, outerIf] = model.graph.nodes;
    expect(constant!.name).toBe('');
    expect(matmul!.metadata().get('pkg.torch.onnx.name_scopes')).toBe("['', 'proj']");
    expect([gelu!.domain, gelu!.op]).toEqual(['com.microsoft', 'Gelu']);
    expect(big!.attributes.get('value_int')).toEqual({ kind: 'int', value: BIG });
    expect(gather!.attributes.get('axis')).toEqual({ kind: 'int', value: 1n });
    expect(model.producerName).toBe('hand-built');
    expect(model.metadata().get('model.note')).toBe('kept');
    // The innermost branch's MatMul reads g (main graph) and W (main-graph initializer): both uses.
    const innerThen = outerIf!.subgraphs()[0]!.nodes[0]!.subgraphs()[0]!;
    const innerMatMul = innerThen.nodes[0]!;
    const g = gelu!.outputs[0]!;
    const w = model.graph.initializers.get('W')!.value;
    expect(innerMatMul.inputs).toEqual([g, w]);
    expect(g.uses.has(innerMatMul)).toBe(true);
    expect(w.uses.has(innerMatMul)).toBe(true);
    expect(model.graph.valueInfo.has('h')).toBe(true);
  });

  it('computes the same in onnxruntime before and after, on every branch', async () => {
    const written = writeModel(load(original));
    for (const [flag, flag2] of [
      [true, true],
      [true, false],
      [false, true],
    ] as const) {
      const before = await outputsOf(original, flag, flag2);
      expect(await outputsOf(written, flag, flag2)).toEqual(before);
      expect(before.big!.data).toEqual([BIG]);
    }
  });

  it('streams saveModel to the same bytes as the in-memory layout, with and without a side file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'offramp-stream-'));
    const model = load(original);
    const inline = await saveModel(model, join(dir, 'inline.onnx'));
    expect(readFileSync(inline.path).equals(Buffer.from(writeModel(model)))).toBe(true);
    expect(inline.bytes).toBe(readFileSync(inline.path).length);
    const options = { externalData: { location: 'side.bin', threshold: 32 } };
    const saved = await saveModel(model, join(dir, 'external.onnx'), options);
    const expected = layoutModelFiles(model, dir, options);
    expect(readFileSync(saved.path).equals(Buffer.from(expected.model))).toBe(true);
    expect(readFileSync(saved.sideFile!.path).equals(Buffer.from(expected.sideFile!.bytes))).toBe(true);
  });

  it('round-trips through external data: weights move to a 4 KiB-aligned side file and back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'offramp-roundtrip-'));
    const path = join(dir, 'features.onnx');
    await saveModel(load(original), path, { externalData: { location: 'features.data', threshold: 32 } });
    const onDisk = readFileSync(path);
    const reread = (await readModel(path)).model!;
    const w = reread.graph.initializers.get('W')!;
    expect(w.external).toMatchObject({ location: 'features.data', offset: 0, length: 64 });
    // An unchanged external-data model re-emits its own file exactly.
    expect(Buffer.from(writeModel(reread)).equals(onDisk)).toBe(true);
    expect(await outputsOf(path, true, true)).toEqual(await outputsOf(original, true, true));
    // Embedding the weights again gives back the original model's fields.
    const embedded = join(mkdtempSync(join(tmpdir(), 'offramp-roundtrip-')), 'embedded.onnx');
    await saveModel(reread, embedded);
    expect(decoded(readFileSync(embedded))).toEqual(decoded(original));
  });
});
