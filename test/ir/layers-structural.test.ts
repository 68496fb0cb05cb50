import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { discoverLayers, importModel, type Model, writeModel } from '../../src/ir/index.js';
import type { CompileContext } from '../../src/passes/context.js';
import { parameterInputName } from '../../src/passes/index.js';
import { runPasses } from '../../src/passes/manager.js';
import { CHAIN_PIPELINE } from '../../src/passes/pipeline.js';
import { SafetensorsWeights } from '../../src/passes/weights.js';
import { fixturePath, loadEncoderFixture, planFor, scalarFeed } from '../support/encoder-fixture.js';

const bytes = readFileSync(fixturePath('backbone.onnx'));
const load = () => importModel(bytes, 'backbone.onnx').model!;

/** The fixture as a fusing optimizer leaves it: nodes named `n{k}`, internal values `v{k}`. */
function stripped(): Model {
  const model = load();
  const graph = model.graph;
  model.graph.nodes.forEach((node, k) => {
    node.name = `n${k}`;
    for (const v of node.outputs) if (!graph.outputs.includes(v)) v.name = `v${k}_${node.outputs.indexOf(v)}`;
  });
  return model;
}

describe('structural layer discovery', () => {
  it('finds the layers the exporter names, from the residual stream alone', () => {
    const named = discoverLayers(load());
    const model = stripped();
    const found = discoverLayers(model);
    expect(found.diagnostics).toEqual([]);
    expect(found.pattern).toBe('structure');
    expect(found.layers).toHaveLength(named.layers.length);
    // Same graph positions: compare by node index, since the names are gone.
    const index = (m: Model) => new Map(m.graph.nodes.map((n, k) => [n, k]));
    const at = index(load());
    const namedModel = load();
    const reference = discoverLayers(namedModel);
    const atNamed = index(namedModel);
    const atStripped = index(model);
    expect(at.size).toBe(atStripped.size);
    found.layers.forEach((layer, k) => {
      const ref = reference.layers[k]!;
      expect(atStripped.get(layer.output.producer!)).toBe(atNamed.get(ref.output.producer!));
      expect(atStripped.get(layer.input.producer!)).toBe(atNamed.get(ref.input.producer!));
      // Every node the exporter put in the layer is found; extra ones are constants only it reads.
      const mine = new Set(layer.nodes.map((n) => atStripped.get(n)));
      for (const n of ref.nodes) expect(mine.has(atNamed.get(n))).toBe(true);
      for (const n of layer.nodes)
        if (!ref.nodes.some((r) => atNamed.get(r) === atStripped.get(n))) expect(n.op).toBe('Constant');
    });
    expect(found.sideInputs.map((v) => atStripped.get(v.producer!))).toEqual(
      reference.sideInputs.map((v) => atNamed.get(v.producer!)),
    );
  });

  it('compiles the stripped backbone into a model whose exits match the reference', async () => {
    const model = stripped();
    const plan = planFor('pabee', { patience: 2 });
    const ctx: CompileContext = {
      plan,
      file: plan.backbone,
      diagnostics: [],
      exits: [],
      parameterInputs: new Map(),
      weights: new SafetensorsWeights(),
      statistics: {},
    };
    const result = await runPasses(model, CHAIN_PIPELINE, ctx);
    expect(ctx.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    const f = loadEncoderFixture();
    const session = await ort.InferenceSession.create(writeModel(model), { logSeverityLevel: 3 });
    const n = 16;
    const out = await session.run({
      input_ids: new ort.Tensor('int64', f.inputIds.slice(0, n * f.sequence), [n, f.sequence]),
      attention_mask: new ort.Tensor('int64', f.attentionMask.slice(0, n * f.sequence), [n, f.sequence]),
      [parameterInputName('patience')]: scalarFeed('int64', 2),
    });
    const reference = f.policies.pabee!.find((p) => p.settings.patience === 2)!;
    expect([...(out.exit_layer!.data as BigInt64Array)].map(Number)).toEqual(
      reference.exit_layer.slice(0, n),
    );
  });
});
