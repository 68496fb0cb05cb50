import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  Builder,
  discoverLayers,
  importModel,
  inferShapes,
  type Model,
  verifyModel,
  writeModel,
} from '../../src/ir/index.js';
import { fixturePath } from '../support/encoder-fixture.js';
import { buildEncoder } from './support/transformer.js';

const fixture = (name: string) => importModel(readFileSync(fixturePath(name)), name).model!;
const small = { layers: 4, hidden: 16, heads: 2, intermediate: 32, vocab: 50 } as const;

async function logitsOf(model: Model): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(writeModel(model), { logSeverityLevel: 3 });
  const ids = BigInt64Array.from({ length: 2 * 5 }, (_, k) => BigInt((k * 7) % 50));
  const mask = BigInt64Array.from({ length: 2 * 5 }, (_, k) => (k % 5 < 4 ? 1n : 0n));
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, [2, 5]),
    attention_mask: new ort.Tensor('int64', mask, [2, 5]),
  });
  return out.logits!.data as Float32Array;
}

describe('layer discovery', () => {
  it.each(['backbone.onnx', 'all-exits.onnx'])(
    'finds the six layers of the encoder fixture (%s) by name',
    (name) => {
      const model = fixture(name);
      const found = discoverLayers(model);
      expect(found.diagnostics).toEqual([]);
      expect(found.pattern).toBe('/bert/encoder/layer.{i}/');
      expect(found.layers.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5]);
      found.layers.forEach((layer, i) => {
        expect(layer.output.name).toBe(
          `/bert/encoder/layer.${i}/output/LayerNorm/LayerNormalization_output_0`,
        );
        expect(layer.input).toBe(i === 0 ? layer.input : found.layers[i - 1]!.output);
        expect(layer.nodes.every((n) => n.name.includes(`/bert/encoder/layer.${i}/`))).toBe(true);
      });
      expect(found.layers[0]!.input.name).toBe('/bert/embeddings/LayerNorm/LayerNormalization_output_0');
      // The side input is the additive attention bias built before layer 1 from attention_mask alone.
      expect(found.sideInputs.length).toBeGreaterThan(0);
      for (const side of found.sideInputs) expect(side.name.startsWith('/bert/')).toBe(true);
      // The cut tensors know their dtype and hidden size once shapes are inferred.
      inferShapes(model.graph);
      expect(found.layers[3]!.output.type).toEqual({ elementType: 1, shape: ['batch', 'sequence', 64] });
    },
  );

  it.each([
    ['/encoder/layer.{i}/', undefined],
    ['/model/layers.{i}/', undefined],
    ['/transformer/h.{i}/', undefined],
    ['/backbone/layers.{i}/', undefined],
    ['/blocks/{i}/', '/blocks/{i}/'],
  ])('finds layers named %s (user pattern %s)', async (scope, pattern) => {
    const { model } = buildEncoder({ ...small, scope });
    expect(verifyModel(model)).toEqual([]);
    const found = discoverLayers(model, pattern ? { pattern } : {});
    expect(found.diagnostics).toEqual([]);
    expect(found.pattern).toBe(scope);
    expect(found.layers).toHaveLength(4);
    expect(found.layers[3]!.output.producer!.name).toBe(
      `${scope.replace('{i}', '3')}output/LayerNorm/LayerNormalization`,
    );
    const logits = await logitsOf(model);
    expect(logits.every(Number.isFinite)).toBe(true);
  });

  it('finds the same layers by structure once the names are gone', () => {
    const named = buildEncoder(small).model;
    const byName = discoverLayers(named);
    const model = buildEncoder({ ...small, naming: 'none' }).model;
    const found = discoverLayers(model);
    expect(found.diagnostics).toEqual([]);
    expect(found.pattern).toBe('structure');
    const position = (m: Model) => new Map(m.graph.nodes.map((n, k) => [n, k]));
    const [a, b] = [position(named), position(model)];
    expect(found.layers.map((l) => b.get(l.output.producer!))).toEqual(
      byName.layers.map((l) => a.get(l.output.producer!)),
    );
    expect(found.sideInputs.map((v) => b.get(v.producer!))).toEqual(
      byName.sideInputs.map((v) => a.get(v.producer!)),
    );
  });

  it('rejects a cut that a later layer bypasses (OR4014 names the cut and the tensor)', () => {
    const { model } = buildEncoder(small);
    const before = discoverLayers(model);
    expect(before.diagnostics).toEqual([]);
    // Layer 3's attention scores also add mean(embeddings): a dense skip around the cuts after layers 1, 2.
    const embeddings = before.layers[0]!.input;
    const softmax = before.layers[2]!.nodes.find((n) => n.op === 'Softmax')!;
    const b = new Builder(model, model.graph).before(softmax);
    const mean = b.op(
      'ReduceMean',
      [embeddings],
      { axes: [1, 2], keepdims: 1 },
      '/encoder/layer.2/skip/ReduceMean',
    );
    const wide = b.op(
      'Unsqueeze',
      [mean, b.constant('skip_axes', BigInt64Array.of(1n))],
      undefined,
      '/encoder/layer.2/skip/Unsqueeze',
    );
    const scores = softmax.inputs[0]!;
    const added = b.op('Add', [scores, wide], undefined, '/encoder/layer.2/skip/Add');
    scores.uses.delete(softmax);
    softmax.inputs[0] = added;
    added.uses.add(softmax);
    expect(verifyModel(model)).toEqual([]);
    const found = discoverLayers(model, { file: 'skip.onnx' });
    expect(found.diagnostics.map((d) => d.code)).toEqual(['OR4014']);
    expect(found.diagnostics[0]).toMatchObject({
      graph: { file: 'skip.onnx', tensor: before.layers[0]!.output.name },
    });
    expect(found.diagnostics[0]!.message).toContain(`reads '${embeddings.name}'`);
  });

  it('rejects layers that hand more than the hidden state to later layers', () => {
    const { model } = buildEncoder(small);
    const before = discoverLayers(model);
    const inner = before.layers[0]!.nodes.find((n) => n.op === 'LayerNormalization')!.outputs[0]!;
    const softmax = before.layers[2]!.nodes.find((n) => n.op === 'Softmax')!;
    const b = new Builder(model, model.graph).before(softmax);
    const mean = b.op(
      'ReduceMean',
      [inner],
      { axes: [1, 2], keepdims: 1 },
      '/encoder/layer.2/skip/ReduceMean',
    );
    const wide = b.op(
      'Unsqueeze',
      [mean, b.constant('skip_axes', BigInt64Array.of(1n))],
      undefined,
      '/encoder/layer.2/skip/Unsqueeze',
    );
    const added = b.op('Add', [softmax.inputs[0]!, wide], undefined, '/encoder/layer.2/skip/Add');
    softmax.inputs[0]!.uses.delete(softmax);
    softmax.inputs[0] = added;
    added.uses.add(softmax);
    const found = discoverLayers(model);
    expect(found.layers).toEqual([]);
    expect(found.diagnostics.map((d) => d.code)).toEqual(['OR3007']);
    expect(found.diagnostics[0]!.message).toContain(inner.name);
  });
});
