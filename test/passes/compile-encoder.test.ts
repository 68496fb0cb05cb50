import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parameterInputName } from '../../src/passes/insert-policy.js';
import { runChainPipeline } from '../../src/passes/pipeline.js';
import type { CompilePlan } from '../../src/passes/plan.js';
import { policySpecs } from '../../src/policies/index.js';
import {
  fixturePath,
  loadEncoderFixture,
  planFor,
  type RunResult,
  runOverEval,
  scalarFeed,
} from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();
const quiet = { logSeverityLevel: 3 as const, intraOpNumThreads: 1 };

async function compile(plan: CompilePlan): Promise<ort.InferenceSession> {
  const result = await runChainPipeline(plan, { verifyEach: true });
  expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return ort.InferenceSession.create(result.bytes!, quiet);
}

function feedsFor(kind: keyof typeof policySpecs, settings: Record<string, number | boolean>) {
  const feeds: Record<string, ort.Tensor> = {};
  for (const p of policySpecs[kind].parameters) {
    const value = typeof settings[p.name] === 'number' ? (settings[p.name] as number) : p.default;
    // A per-exit parameter is a vector input with one value per exit (all six layers exit here).
    feeds[parameterInputName(p.name)] = p.perExit
      ? new ort.Tensor('float32', new Float32Array(fixture.layers).fill(value), [fixture.layers])
      : scalarFeed(p.dtype as 'int64', value);
  }
  return feeds;
}

/** Reference logits of the exit each example took, from the head family the policy uses. */
function referenceLogitsAt(kind: string, example: number, layer: number): Float32Array {
  const source =
    kind === 'qexit' ? fixture.palbertLogits : kind === 'jei' ? fixture.jeiLogits : fixture.layerLogits;
  const offset = (example * fixture.layers + layer - 1) * fixture.classes;
  return source.subarray(offset, offset + fixture.classes);
}

function maxLogitError(kind: string, run: RunResult): number {
  let worst = 0;
  run.exitLayer.forEach((layer, e) => {
    const ref = referenceLogitsAt(kind, e, layer);
    for (let c = 0; c < fixture.classes; c++)
      worst = Math.max(worst, Math.abs(run.logits[e * fixture.classes + c]! - ref[c]!));
  });
  return worst;
}

const agreement = (a: readonly number[], b: readonly number[]) =>
  a.filter((v, i) => v === b[i]).length / a.length;

describe.each(['pabee', 'qexit', 'jei', 'maxprob', 'entropy', 'margin'] as const)(
  'compiled %s on the encoder fixture',
  (kind) => {
    let session: ort.InferenceSession;
    beforeAll(async () => {
      session = await compile(planFor(kind));
    });

    it.each(fixture.policies[kind]!.map((s) => [JSON.stringify(s.settings), s] as const))(
      'matches the PyTorch reference at %s on every eval example',
      async (_label, reference) => {
        const run = await runOverEval(session, 8, feedsFor(kind, reference.settings));
        expect(agreement(run.exitLayer, reference.exit_layer)).toBe(1);
        expect(agreement(run.prediction, reference.prediction)).toBe(1);
        expect(maxLogitError(kind, run)).toBeLessThan(1e-4);
      },
    );

    it('gives identical per-sample results at batch 1 and batch 8', async () => {
      const settings = fixture.policies[kind]![1]!.settings;
      const single = await runOverEval(session, 1, feedsFor(kind, settings), 200);
      const batched = await runOverEval(session, 8, feedsFor(kind, settings), 200);
      expect(batched.exitLayer).toEqual(single.exitLayer);
      expect(batched.prediction).toEqual(single.prediction);
      for (let i = 0; i < single.logits.length; i++)
        expect(Math.abs(batched.logits[i]! - single.logits[i]!)).toBeLessThan(1e-5);
    });
  },
);

describe('edge settings', () => {
  it('a policy that never fires reproduces the backbone outputs', async () => {
    const compiled = await compile(planFor('pabee'));
    const backbone = await ort.InferenceSession.create(readFileSync(fixturePath('backbone.onnx')), quiet);
    const run = await runOverEval(
      compiled,
      8,
      { [parameterInputName('patience')]: scalarFeed('int64', 0) },
      96,
    );
    expect(new Set(run.exitLayer)).toEqual(new Set([fixture.layers]));
    const t = fixture.sequence;
    const out = await backbone.run({
      input_ids: new ort.Tensor('int64', fixture.inputIds.slice(0, 96 * t), [96, t]),
      attention_mask: new ort.Tensor('int64', fixture.attentionMask.slice(0, 96 * t), [96, t]),
    });
    const expected = out.logits!.data as Float32Array;
    for (let i = 0; i < expected.length; i++)
      expect(Math.abs(run.logits[i]! - expected[i]!)).toBeLessThan(1e-5);
  });

  it.each([2, 4])('a policy that always fires at layer %i reproduces head %i', async (k) => {
    const compiled = await compile({ ...planFor('maxprob'), minExit: k });
    const run = await runOverEval(
      compiled,
      8,
      { [parameterInputName('threshold')]: scalarFeed('float32', 0) },
      96,
    );
    expect(new Set(run.exitLayer)).toEqual(new Set([k]));
    expect(maxLogitError('maxprob', run)).toBeLessThan(1e-4);
  });

  it('compiling from all-exits.onnx outputs gives the same decisions as from safetensors heads', async () => {
    const fromOutputs = await compile({
      ...planFor('pabee'),
      backbone: fixturePath('all-exits.onnx'),
      head: { kind: 'outputs', outputTemplate: 'exit_logits.{i}' },
    });
    const fromWeights = await compile(planFor('pabee'));
    for (const patience of [1, 2, 3]) {
      const feeds = { [parameterInputName('patience')]: scalarFeed('int64', patience) };
      const a = await runOverEval(fromOutputs, 8, feeds);
      const b = await runOverEval(fromWeights, 8, feeds);
      expect(a.exitLayer).toEqual(b.exitLayer);
      expect(a.prediction).toEqual(b.prediction);
    }
  });
});
