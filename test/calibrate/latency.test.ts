import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  calibrate,
  type LatencyModel,
  meanCost,
  measureSegments,
  readCalibrationData,
} from '../../src/calibrate/index.js';
import { loadRamp } from '../../src/compiler/front-end.js';
import { planFromModel } from '../../src/compiler/plan-from-ast.js';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();
const example = (name: string) => resolve(import.meta.dirname, '../../dsl/examples', `${name}.ramp`);

async function planOf(name: string) {
  const { models, diagnostics } = await loadRamp(example(name));
  return planFromModel(models[0]!, diagnostics)!;
}

describe('the per-segment latency model', () => {
  it('times one segment per exit and counts its FLOPs (a BERT layer in closed form)', async () => {
    const { arrays } = await readCalibrationData(fixturePath('eval'));
    const model = await measureSegments(await planOf('pabee'), arrays, { examples: 6, repeats: 2 });
    expect(model.segments.map((s) => s.exitLayer)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(model).toMatchObject({ examples: 6, repeats: 2, sequence: fixture.sequence, threads: 1 });
    for (const s of model.segments) expect(s.ms).toBeGreaterThan(0);
    expect(model.backboneMs).toBeGreaterThan(0);
    // One encoder layer's matrix products: Q, K, V, output projections 2·T·4H², feed-forward 2·T·2HI,
    // scores and context 2·2·T²·H; the rest (softmax, layer norms, GELU, the exit head) adds a few percent.
    const [T, H, I] = [fixture.sequence, 64, 256];
    const layerMatmuls = 2 * T * 4 * H * H + 2 * T * 2 * H * I + 2 * 2 * T * T * H;
    expect(layerMatmuls).toBe(7_340_032);
    for (const s of model.segments.slice(1)) {
      expect(s.flops).toBeGreaterThan(layerMatmuls);
      expect(s.flops).toBeLessThan(layerMatmuls * 1.1);
    }
    // The segments together do the backbone's work plus the exit heads and policy steps.
    const total = model.segments.reduce((a, s) => a + s.flops, 0);
    expect(total).toBeGreaterThan(model.backboneFlops);
    expect(total).toBeLessThan(model.backboneFlops * 1.1);
  }, 60_000);

  it('charges each sample the segments up to its exit', () => {
    const model: LatencyModel = {
      segments: [
        { exitLayer: 2, ms: 1, flops: 10 },
        { exitLayer: 4, ms: 2, flops: 20 },
        { exitLayer: 6, ms: 4, flops: 40 },
      ],
      backboneMs: 6,
      backboneFlops: 65,
      examples: 1,
      repeats: 1,
      sequence: 8,
      threads: 1,
    };
    // Exits 2, 4, 4, 6: costs 1, 3, 3, 7 ms and 10, 30, 30, 70 FLOPs.
    expect(meanCost(model, [2, 4, 4, 6])).toEqual({ ms: 14 / 4, flops: 140 / 4 });
    expect(() => meanCost(model, [3])).toThrow(/no segment ends at layer 3/);
  });

  it('gives every calibration candidate a latency and FLOPs, growing with PABEE patience', async () => {
    const result = await calibrate({
      file: example('pabee'),
      data: fixturePath('eval'),
      budget: 0.01,
      latency: { examples: 6, repeats: 2 },
    });
    expect(result.diagnostics).toEqual([]);
    const latency = result.latency!;
    const fullMs = latency.segments.reduce((a, s) => a + s.ms, 0);
    const fullFlops = latency.segments.reduce((a, s) => a + s.flops, 0);
    const byPatience = [...result.points].sort(
      (a, b) => (a.setting.patience as number) - (b.setting.patience as number),
    );
    // Patience 0 is the full model: every sample runs every segment.
    expect(byPatience[0]!.meanLatencyMs).toBeCloseTo(fullMs, 9);
    expect(byPatience[0]!.meanFlops).toBeCloseTo(fullFlops, 0);
    // A larger patience never exits earlier, so it never costs less (after the full-model sentinel).
    for (let k = 2; k < byPatience.length; k++) {
      expect(byPatience[k]!.meanLatencyMs!).toBeGreaterThanOrEqual(byPatience[k - 1]!.meanLatencyMs! - 1e-9);
      expect(byPatience[k]!.meanFlops!).toBeGreaterThanOrEqual(byPatience[k - 1]!.meanFlops! - 1e-6);
    }
    const none = await calibrate({
      file: example('pabee'),
      data: fixturePath('eval'),
      budget: 0.01,
      latency: false,
    });
    expect(none.latency).toBeUndefined();
    expect(none.points[0]!.meanLatencyMs).toBeUndefined();
  }, 60_000);
});
