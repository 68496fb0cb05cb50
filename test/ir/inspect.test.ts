import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatInspectReport, importModel, inspectModel } from '../../src/ir/index.js';
import { fixturePath } from '../support/encoder-fixture.js';
import { buildEncoder } from './support/transformer.js';

const config = JSON.parse(readFileSync(fixturePath('config.json'), 'utf8'));

/** Parameters of one post-LN BERT layer: Q, K, V, O (+biases), two LayerNorms, the FFN. */
const layerParameters = (h: number, f: number) => 4 * (h * h + h) + 2 * 2 * h + (h * f + f) + (f * h + h);
/** Its MatMul FLOPs at batch 1, sequence s: projections, QKᵀ, PV, FFN. */
const layerMatMulFlops = (h: number, f: number, s: number) =>
  4 * 2 * s * h * h + 2 * (2 * s * s * h) + 2 * 2 * s * h * f;

describe('inspect', () => {
  it('reports the fixture: signature, histogram, six layers with their cuts, parameters and FLOPs', () => {
    const model = importModel(readFileSync(fixturePath('backbone.onnx')), 'backbone.onnx').model!;
    const report = inspectModel(model, { sequenceLength: 32, file: 'backbone.onnx' });
    const h = config.hidden_size as number;
    const f = config.intermediate_size as number;
    expect(report.diagnostics).toEqual([]);
    expect(report.inputs).toEqual([
      { name: 'input_ids', type: 'int64[batch,sequence]' },
      { name: 'attention_mask', type: 'int64[batch,sequence]' },
    ]);
    expect(report.outputs[0]!.name).toBe('logits');
    expect(report.dims).toEqual({ batch: 1, sequence: 32 });
    expect(report.opHistogram.LayerNormalization).toBe(13);
    expect(report.opHistogram.MatMul).toBe(48);
    expect(report.layerPattern).toBe('/bert/encoder/layer.{i}/');
    expect(report.layers).toHaveLength(config.num_layers);
    for (const layer of report.layers) {
      expect(layer.cut).toEqual({
        name: `/bert/encoder/layer.${layer.index}/output/LayerNorm/LayerNormalization_output_0`,
        type: `float32[batch,sequence,${h}]`,
      });
      expect(layer.parameters).toBe(layerParameters(h, f));
      const matmul = layerMatMulFlops(h, f, 32);
      expect(layer.flops).toBeGreaterThan(matmul);
      expect(layer.flops).toBeLessThan(matmul * 1.1);
    }
    // FLOPs grow with the sequence: linear terms ×2, attention terms ×4.
    const longer = inspectModel(importModel(readFileSync(fixturePath('backbone.onnx'))).model!, {
      sequenceLength: 64,
    });
    expect(longer.layers[0]!.flops / report.layers[0]!.flops).toBeGreaterThan(2);
    const text = formatInspectReport(report);
    expect(text).toContain('layers (/bert/encoder/layer.{i}/): 6');
    expect(text).toContain(
      `/bert/encoder/layer.5/output/LayerNorm/LayerNormalization_output_0  float32[batch,sequence,${h}]`,
    );
  });

  it('counts a synthetic model exactly and reads no weights', () => {
    const spec = { layers: 3, hidden: 32, heads: 4, intermediate: 64, vocab: 100, classes: 5 };
    const { model } = buildEncoder(spec);
    const report = inspectModel(model, { sequenceLength: 16, batchSize: 2 });
    expect(report.dims).toEqual({ batch: 2, sequence: 16 });
    const perLayer = layerParameters(32, 64);
    expect(report.layers.map((l) => l.parameters)).toEqual([perLayer, perLayer, perLayer]);
    // Embeddings + their LayerNorm + the classifier, beside the layers.
    expect(report.parameters).toBe(3 * perLayer + 100 * 32 + 2 * 32 + 5 * 32 + 5);
    expect(report.layers[2]!.flops).toBeGreaterThan(2 * layerMatMulFlops(32, 64, 16));
  });
});
