import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, type TensorToWrite } from '../../src/io/index.js';
import { parameterInputName } from '../../src/passes/insert-policy.js';
import { runChainPipeline } from '../../src/passes/pipeline.js';
import type { CompilePlan } from '../../src/passes/plan.js';
import {
  fixturePath,
  loadEncoderFixture,
  planFor,
  runOverEval,
  scalarFeed,
} from '../support/encoder-fixture.js';
import { seeded, writeTempSafetensors } from '../support/weights.js';

const fixture = loadEncoderFixture();
const quiet = { logSeverityLevel: 3 as const, intraOpNumThreads: 1 };
const heads = parseSafetensors(readFileSync(fixturePath('heads.safetensors')), 'heads').file!.tensors;
const tensor = (key: string) => heads.get(key)!.values();
const shape = (key: string) => [...heads.get(key)!.shape];

async function compile(plan: CompilePlan): Promise<ort.InferenceSession> {
  const result = await runChainPipeline(plan, { verifyEach: true });
  expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return ort.InferenceSession.create(result.bytes!, quiet);
}

describe('mlp exit heads', () => {
  it('mlp(layers: 1, activation: tanh) holding the pooler and classifiers reproduces PABEE’s pooler + linear heads exactly', async () => {
    const tensors: TensorToWrite[] = [];
    for (let i = 0; i < 6; i++) {
      for (const part of ['weight', 'bias']) {
        tensors.push({
          name: `mlp.${i}.hidden.0.${part}`,
          shape: shape(`pabee.pooler.${part}`),
          data: tensor(`pabee.pooler.${part}`),
        });
        const key = `pabee.classifier.${i}.${part}`;
        tensors.push({ name: `mlp.${i}.out.${part}`, shape: shape(key), data: tensor(key) });
      }
    }
    const file = writeTempSafetensors('as-mlp.safetensors', tensors);
    const session = await compile({
      ...planFor('pabee'),
      head: {
        kind: 'weights',
        pool: 'cls',
        classifier: { kind: 'mlp', key: 'mlp.{i}.', blocks: 1, activation: 'tanh' },
        weightsFile: file,
      },
    });
    for (const reference of fixture.policies.pabee!) {
      const patience = reference.settings.patience as number;
      const run = await runOverEval(session, 8, {
        [parameterInputName('patience')]: scalarFeed('int64', patience),
      });
      expect(run.exitLayer).toEqual(reference.exit_layer);
      expect(run.prediction).toEqual(reference.prediction);
    }
  });

  it('a two-block GELU MLP after the pooler computes out(gelu(W₁·gelu(W₀·p))) of the pooled vector', async () => {
    const [hidden, width, classes] = [64, 24, fixture.classes];
    const w0 = seeded(width * hidden, 1, 0.3);
    const b0 = seeded(width, 2, 0.1);
    const w1 = seeded(width * width, 3, 0.3);
    const b1 = seeded(width, 4, 0.1);
    const wo = seeded(classes * width, 5, 0.5);
    const bo = seeded(classes, 6, 0.1);
    const layer = 3;
    const file = writeTempSafetensors('gelu.safetensors', [
      {
        name: 'pabee.pooler.weight',
        shape: shape('pabee.pooler.weight'),
        data: tensor('pabee.pooler.weight'),
      },
      { name: 'pabee.pooler.bias', shape: shape('pabee.pooler.bias'), data: tensor('pabee.pooler.bias') },
      { name: `m.${layer - 1}.hidden.0.weight`, shape: [width, hidden], data: w0 },
      { name: `m.${layer - 1}.hidden.0.bias`, shape: [width], data: b0 },
      { name: `m.${layer - 1}.hidden.1.weight`, shape: [width, width], data: w1 },
      { name: `m.${layer - 1}.hidden.1.bias`, shape: [width], data: b1 },
      { name: `m.${layer - 1}.out.weight`, shape: [classes, width], data: wo },
      { name: `m.${layer - 1}.out.bias`, shape: [classes], data: bo },
    ]);
    const session = await compile({
      ...planFor('maxprob'),
      exits: [layer],
      head: {
        kind: 'weights',
        pool: 'cls',
        pooler: 'pabee.pooler.',
        classifier: { kind: 'mlp', key: 'm.{i}.', blocks: 2, activation: 'gelu' },
        weightsFile: file,
      },
    });
    // Threshold 0: every example exits at the MLP's layer.
    const run = await runOverEval(
      session,
      16,
      { [parameterInputName('threshold')]: scalarFeed('float32', 0) },
      160,
    );
    expect(new Set(run.exitLayer)).toEqual(new Set([layer]));
    const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    const dense = (w: Float32Array, b: Float32Array, x: number[], out: number) =>
      Array.from({ length: out }, (_, o) => b[o]! + x.reduce((s, v, k) => s + w[o * x.length + k]! * v, 0));
    let worst = 0;
    for (let e = 0; e < run.exitLayer.length; e++) {
      const offset = (e * fixture.layers + layer - 1) * hidden;
      const p = Array.from(fixture.pooled.subarray(offset, offset + hidden));
      const h0 = dense(w0, b0, p, width).map(gelu);
      const h1 = dense(w1, b1, h0, width).map(gelu);
      const logits = dense(wo, bo, h1, classes);
      for (let c = 0; c < classes; c++)
        worst = Math.max(worst, Math.abs(run.logits[e * classes + c]! - logits[c]!));
    }
    expect(worst).toBeLessThan(1e-4);
  });
});

/** erf to ~1e-7 (Abramowitz–Stegun 7.1.26 is too coarse for a 1e-4 comparison, so a series/continued form). */
function erf(x: number): number {
  // Maclaurin series; |x| stays small here (pooled values are tanh outputs through small weights).
  let sum = x;
  let term = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
