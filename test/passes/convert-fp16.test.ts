import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { allGraphs, ElementType, importModel, verifyModel, writeModel } from '../../src/ir/index.js';
import { convertFp16 } from '../../src/passes/convert-fp16.js';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../src/passes/float16.js';
import { parameterInputName } from '../../src/passes/insert-policy.js';
import { runChainPipeline } from '../../src/passes/pipeline.js';
import { loadEncoderFixture, planFor, runOverEval, scalarFeed } from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();

describe('float16 conversion', () => {
  it('rounds to nearest even and saturates at the half range', () => {
    const cases: [number, number][] = [
      [1, 1],
      [65504, 65504],
      [1e6, 65504],
      [-1e6, -65504],
      [Number.POSITIVE_INFINITY, 65504],
      [2 ** -24, 2 ** -24],
      [2 ** -26, 0],
      [1 + 2 ** -11, 1], // halfway between 1 and the next half: ties to even (1)
      [1 + 3 * 2 ** -11, 1 + 2 ** -9], // halfway, odd below: rounds up
      [0.1, 0.0999755859375],
    ];
    for (const [input, expected] of cases)
      expect(float16BitsToFloat32(float32ToFloat16Bits(input))).toBe(expected);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN)))).toBe(true);
  });

  it('runs MatMul and Gemm in fp16 and keeps every other op in fp32; decisions barely move', async () => {
    const fp32 = await runChainPipeline(planFor('pabee'));
    const model = importModel(fp32.bytes!).model!;
    const stats = convertFp16.run(model, undefined as never).statistics;
    expect(verifyModel(model)).toEqual([]);
    expect(stats['fp16-nodes']).toBeGreaterThan(6 * 6);
    // Structure: fp16 values are read only by MatMul/Gemm or by the Casts around them.
    const half = new Set<string>();
    for (const g of allGraphs(model.graph)) {
      for (const init of g.initializers.values())
        if (init.tensor.dataType === ElementType.float16) half.add(init.value.name);
      for (const n of g.nodes)
        if (n.op === 'Cast' && n.intAttribute('to', 0n) === BigInt(ElementType.float16))
          half.add(n.outputs[0]!.name);
      for (const n of g.nodes) if (['MatMul', 'Gemm'].includes(n.op)) half.add(n.outputs[0]!.name);
    }
    for (const g of allGraphs(model.graph)) {
      for (const n of g.nodes) {
        if (n.inputs.some((v) => v && half.has(v.name))) expect(['MatMul', 'Gemm', 'Cast']).toContain(n.op);
      }
    }
    const options = { logSeverityLevel: 3 as const, intraOpNumThreads: 1 };
    const a = await ort.InferenceSession.create(fp32.bytes!, options);
    const b = await ort.InferenceSession.create(writeModel(model), options);
    const figures: string[] = [];
    for (const patience of [1, 2, 3]) {
      const feeds = { [parameterInputName('patience')]: scalarFeed('int64', patience) };
      const full = await runOverEval(a, 16, feeds);
      const mixed = await runOverEval(b, 16, feeds);
      let deviation = 0;
      for (let i = 0; i < full.logits.length; i++) {
        if (
          full.exitLayer[Math.floor(i / fixture.classes)] === mixed.exitLayer[Math.floor(i / fixture.classes)]
        ) {
          deviation = Math.max(deviation, Math.abs(full.logits[i]! - mixed.logits[i]!));
        }
      }
      const changed = full.exitLayer.filter(
        (l, i) => l !== mixed.exitLayer[i] || full.prediction[i] !== mixed.prediction[i],
      ).length;
      figures.push(
        `patience ${patience}: max |Δlogit| ${deviation.toExponential(2)}, changed decisions ${changed}/${fixture.examples}`,
      );
      expect(deviation).toBeLessThan(5e-2);
      expect(changed / fixture.examples).toBeLessThan(0.03);
    }
    console.log(`fp16 vs fp32 on the CPU EP:\n  ${figures.join('\n  ')}`);
  });
});
