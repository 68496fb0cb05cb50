import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../src/io/index.js';
import { UNIFORM_INPUT } from '../../src/passes/insert-policy.js';
import { runChainPipeline } from '../../src/passes/pipeline.js';
import { evaluatePolicy, policySpecs } from '../../src/policies/index.js';
import { fixturePath, loadEncoderFixture, planFor, runOverEval } from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();
const heads = parseSafetensors(readFileSync(fixturePath('heads.safetensors')), 'heads.safetensors').file!;

/** Rows [start, start+n) of exit `layer` from a reference [E, N, X] array. */
function rowsAt(source: Float32Array, width: number, layer: number, n: number): Float32Array {
  const out = new Float32Array(n * width);
  for (let e = 0; e < n; e++)
    out.set(
      source.subarray((e * fixture.layers + layer - 1) * width, (e * fixture.layers + layer) * width),
      e * width,
    );
  return out;
}

describe('PonderNet with caller-supplied uniform numbers', () => {
  it('the compiled model and the reference evaluator sample the same exits', async () => {
    const n = 256;
    const exits = fixture.layers;
    let state = 12345;
    const uniforms = Float32Array.from({ length: n * exits }, () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return Math.fround(state / 2147483648);
    });
    const compiled = await runChainPipeline(planFor('pondernet'), { verifyEach: true });
    expect(compiled.diagnostics).toEqual([]);
    const session = await ort.InferenceSession.create(compiled.bytes!, { logSeverityLevel: 3 });
    // One batch, so the uniforms tensor lines up with the examples.
    const run = await runOverEval(
      session,
      n,
      { [UNIFORM_INPUT]: new ort.Tensor('float32', uniforms, [n, exits]) },
      n,
    );
    const hidden = fixture.pooled.length / (fixture.examples * fixture.layers);
    const all = [1, 2, 3, 4, 5, 6];
    const reference = evaluatePolicy({
      spec: policySpecs.pondernet,
      exitLayers: all,
      classes: fixture.classes,
      options: { lambdaBlocks: 1 },
      heads: all.map((l) => ({
        logits: rowsAt(fixture.palbertLogits, fixture.classes, l, n),
        pooled: rowsAt(fixture.pooled, hidden, l, n),
      })),
      weightsPrefix: 'palbert.lambda.',
      weight: (key) => {
        const t = heads.tensors.get(key);
        return t ? { data: t.values(), shape: t.shape } : undefined;
      },
      uniforms,
    });
    expect(run.exitLayer).toEqual([...reference.exitLayer]);
    expect(run.prediction).toEqual([...reference.prediction]);
    // The samples really spread over the layers.
    expect(new Set(run.exitLayer).size).toBeGreaterThan(3);
  });
});
