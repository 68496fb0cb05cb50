import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { importModel, verifyModel, writeModel } from '../../src/ir/index.js';
import { runChainPipeline } from '../../src/passes/pipeline.js';
import { adaptOpset } from '../../src/targets/index.js';
import { loadEncoderFixture, planFor } from '../support/encoder-fixture.js';

const f = loadEncoderFixture();
const N = 16;
const feeds = () => ({
  input_ids: new ort.Tensor('int64', f.inputIds.slice(0, N * f.sequence), [N, f.sequence]),
  attention_mask: new ort.Tensor('int64', f.attentionMask.slice(0, N * f.sequence), [N, f.sequence]),
  'offramp.threshold': new ort.Tensor('float32', Float32Array.of(0.45), []),
});

async function outputs(bytes: Uint8Array) {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const out = await session.run(feeds());
  await session.release();
  return {
    logits: Array.from(out.logits!.data as Float32Array),
    exits: Array.from(out.exit_layer!.data as BigInt64Array),
  };
}

describe('opset adaptation', () => {
  it('moves a compiled model 17 → 18 → 17 (reduction axes between attribute and input) with identical results', async () => {
    const compiled = await runChainPipeline(planFor('maxprob'));
    const reference = await outputs(compiled.bytes!);
    const model = importModel(compiled.bytes!).model!;
    const reductions = () => model.graph.nodes.filter((n) => n.op === 'ReduceMax' || n.op === 'ReduceMean');
    expect(adaptOpset(model, 18)).toEqual([]);
    expect(model.opset('')).toBe(18);
    expect(verifyModel(model)).toEqual([]);
    expect(reductions().every((n) => !n.attributes.has('axes') && n.inputs.length === 2)).toBe(true);
    const at18 = await outputs(writeModel(model));
    expect(at18).toEqual(reference);
    expect(adaptOpset(model, 17)).toEqual([]);
    expect(model.opset('')).toBe(17);
    expect(reductions().every((n) => n.attributes.has('axes') && n.inputs.length === 1)).toBe(true);
    expect(await outputs(writeModel(model))).toEqual(reference);
  }, 60_000);

  it('refuses what it cannot adapt, naming each node (LayerNormalization does not exist before 17)', async () => {
    const compiled = await runChainPipeline(planFor('maxprob'));
    const model = importModel(compiled.bytes!).model!;
    const problems = adaptOpset(model, 16, 'model.onnx');
    expect(problems.length).toBeGreaterThan(0);
    expect(new Set(problems.map((d) => d.code))).toEqual(new Set(['OR6006']));
    expect(problems.some((d) => /LayerNormalization.*from opset 17 to 16/.test(d.message))).toBe(true);
    expect(model.opset('')).toBe(17); // unchanged when anything is refused
  }, 60_000);
});
