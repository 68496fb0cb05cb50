import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  currentOnnx,
  discoverLayers,
  importModel,
  inferShapes,
  printModel,
  readModel,
  verifyModel,
} from '../../src/ir/index.js';
import { fixturePath } from '../support/encoder-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'offramp-bad-'));
const fixture = readFileSync(fixturePath('backbone.onnx'));
const file = (name: string, bytes: Uint8Array | string) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const modelWith = (fields: Record<string, unknown>) =>
  currentOnnx.ModelProto.encode(
    currentOnnx.ModelProto.fromObject({ irVersion: 8, opsetImport: [{ version: 17 }], ...fields }),
  ).finish();

/** Flips bytes at a stride through the middle of the file (the weights and node lists). */
function corrupt(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let k = 200; k < out.length; k += 977) out[k] = out[k]! ^ 0xa5;
  return out;
}

describe('bad input gives a diagnostic naming the file, never an exception or a hang', () => {
  it.each([
    ['an empty file', () => file('empty.onnx', new Uint8Array(0)), 'OR4001', 'empty'],
    ['a text file', () => file('notes.onnx', 'this is not a model\n'), 'OR4001', undefined],
    ['a JSON file', () => file('config.onnx', readFileSync(fixturePath('config.json'))), 'OR4001', undefined],
    [
      'a safetensors file',
      () => file('heads.onnx', readFileSync(fixturePath('heads.safetensors'))),
      'OR4001',
      undefined,
    ],
    [
      'a truncated model',
      () => file('truncated.onnx', fixture.subarray(0, fixture.length >> 1)),
      'OR4001',
      undefined,
    ],
    ['a model cut inside its header', () => file('cut.onnx', fixture.subarray(0, 7)), 'OR4001', undefined],
    ['a missing file', () => join(dir, 'nowhere.onnx'), 'OR4001', 'ENOENT'],
    ['a directory', () => dir, 'OR4001', undefined],
    ['a model without a graph', () => file('nograph.onnx', modelWith({})), 'OR4001', 'no graph'],
    [
      'an unknown IR version',
      () => file('future.onnx', modelWith({ irVersion: 99, graph: { name: 'g' } })),
      'OR4004',
      '99',
    ],
    [
      'IR version 0',
      () => file('zero.onnx', modelWith({ irVersion: 0, graph: { name: 'g' } })),
      'OR4004',
      undefined,
    ],
  ])('%s', async (_label, make, code, text) => {
    const path = make();
    const { model, diagnostics } = await readModel(path);
    expect(model).toBeUndefined();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code, graph: { file: path } });
    if (text) expect(diagnostics[0]!.message).toContain(text);
  });

  it('a corrupted model is either refused or yields a model every IR function handles', async () => {
    const path = file('corrupt.onnx', corrupt(fixture));
    const { model, diagnostics } = await readModel(path);
    if (!model) {
      expect(diagnostics[0]).toMatchObject({ code: 'OR4001', graph: { file: path } });
      return;
    }
    // Whatever survived decoding: the rest of the IR reports, it does not throw.
    expect(() => [
      verifyModel(model, path),
      printModel(model),
      discoverLayers(model, { file: path }),
      inferShapes(model.graph),
    ]).not.toThrow();
  });

  it('a dangling reference names the node and tensor and leaves a model for the verifier', () => {
    const bytes = modelWith({
      graph: {
        name: 'g',
        node: [{ input: ['missing'], output: ['y'], name: 'reader', opType: 'Relu' }],
        output: [{ name: 'y' }],
      },
    });
    const { model, diagnostics } = importModel(bytes, 'dangling.onnx');
    expect(model).toBeDefined();
    expect(diagnostics).toMatchObject([
      { code: 'OR4002', graph: { file: 'dangling.onnx', node: 'reader', tensor: 'missing' } },
    ]);
  });

  it('a deeply nested chain of Ifs (beyond any real model) is refused or read, not a stack overflow', () => {
    // Written by hand: protobufjs refuses to encode this deep, but a hostile file can be this deep.
    const message = (build: (w: protobuf.Writer) => void) => {
      const w = protobuf.Writer.create();
      build(w);
      return w.finish();
    };
    const bytesField = (w: protobuf.Writer, field: number, bytes: Uint8Array) =>
      w.uint32((field << 3) | 2).bytes(bytes);
    const stringField = (w: protobuf.Writer, field: number, text: string) =>
      w.uint32((field << 3) | 2).string(text);
    let graph = message((w) => stringField(w, 2, 'leaf'));
    for (let depth = 1; depth <= 5000; depth++) {
      const inner = graph;
      const attribute = message((w) => {
        stringField(w, 1, 'then_branch');
        bytesField(w, 6, inner);
        w.uint32((20 << 3) | 0).int32(5);
      });
      const node = message((w) => {
        stringField(w, 1, 'cond');
        stringField(w, 2, `v${depth}`);
        stringField(w, 4, 'If');
        bytesField(w, 5, attribute);
      });
      graph = message((w) => bytesField(w, 1, node));
    }
    const bytes = message((w) => {
      w.uint32((1 << 3) | 0).int64(8);
      bytesField(w, 7, graph);
    });
    const result = importModel(bytes, 'deep.onnx');
    expect(result.model).toBeUndefined();
    expect(result.diagnostics[0]).toMatchObject({ code: 'OR4001', graph: { file: 'deep.onnx' } });
  });
});
