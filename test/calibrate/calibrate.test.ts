import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { calibrate, cheapestWithin, type Measured, paretoFrontier } from '../../src/calibrate/index.js';
import { compile } from '../../src/compiler/index.js';
import { fixturePath, loadEncoderFixture, runOverEval } from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();
const example = (name: string) => resolve(import.meta.dirname, '../../dsl/examples', `${name}.ramp`);

describe('the Pareto frontier', () => {
  it('equals a brute-force computation on small random cases', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let trial = 0; trial < 50; trial++) {
      const points: Measured<number>[] = Array.from({ length: 12 }, (_, k) => ({
        setting: k,
        quality: Math.round(random() * 20) / 20,
        meanExitLayer: 1 + Math.round(random() * 10) / 2,
      }));
      // Brute force: a point is on the frontier when no other point is at least as good on both axes and better on one.
      const dominated = (p: Measured<number>) =>
        points.some(
          (o) =>
            o.quality >= p.quality &&
            o.meanExitLayer <= p.meanExitLayer &&
            (o.quality > p.quality || o.meanExitLayer < p.meanExitLayer),
        );
      const expected = new Set(
        points.filter((p) => !dominated(p)).map((p) => `${p.quality}@${p.meanExitLayer}`),
      );
      const got = new Set(paretoFrontier(points).map((p) => `${p.quality}@${p.meanExitLayer}`));
      expect(got).toEqual(expected);
      const reference = Math.max(...points.map((p) => p.quality));
      const budget = 0.1;
      const cheapestOk = points
        .filter((p) => reference - p.quality <= budget + 1e-12)
        .sort((a, b) => a.meanExitLayer - b.meanExitLayer)[0]!;
      expect(cheapestWithin(points, reference, budget)!.meanExitLayer).toBe(cheapestOk.meanExitLayer);
    }
  });
});

describe('calibration on the encoder fixture', () => {
  it.each(['maxprob', 'pabee'])(
    '%s: the chosen setting keeps the budget, and the compiled model does exactly what calibration predicted',
    async (policy) => {
      const result = await calibrate({ file: example(policy), data: fixturePath('eval'), budget: 0.01 });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(result.qualityKind).toBe('accuracy');
      const chosen = result.chosen!;
      expect(chosen.quality).toBeGreaterThanOrEqual(result.reference! - 0.01);
      expect(chosen.meanExitLayer).toBeLessThan(fixture.layers);

      const compiled = await compile({
        file: example(policy),
        outDir: '/nonexistent',
        dryRun: true,
        targets: ['cpu'],
      });
      const model = compiled.artifacts[0]!.files.find((f) => f.path === 'model.onnx')!.contents as Uint8Array;
      const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
      const [name, value] = Object.entries(chosen.setting)[0]!;
      const feed =
        name === 'patience'
          ? new ort.Tensor('int64', BigInt64Array.of(BigInt(value as number)), [])
          : new ort.Tensor('float32', Float32Array.of(value as number), []);
      const run = await runOverEval(session, 8, { [`offramp.${name}`]: feed });
      const accuracy =
        run.prediction.filter((p, i) => p === Number(fixture.labels[i])).length / fixture.examples;
      const mean = run.exitLayer.reduce((a, b) => a + b, 0) / fixture.examples;
      expect(accuracy).toBeCloseTo(chosen.quality, 10);
      expect(mean).toBeCloseTo(chosen.meanExitLayer, 10);
    },
  );
});
