import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../src/io/index.js';
import { evaluatePolicy, policySpecs } from '../../src/policies/index.js';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();
const heads = parseSafetensors(readFileSync(fixturePath('heads.safetensors')), 'heads.safetensors').file!;
const weight = (key: string) => {
  const t = heads.tensors.get(key);
  if (!t) throw new Error(`missing ${key}`);
  return { data: t.values(), shape: t.shape };
};

/** Per-exit [E, C] (or [E, H]) slices of a reference [E, N, X] array. */
function perLayer(source: Float32Array, width: number, layers: readonly number[]): Float32Array[] {
  return layers.map((layer) => {
    const out = new Float32Array(fixture.examples * width);
    for (let e = 0; e < fixture.examples; e++) {
      out.set(source.subarray((e * fixture.layers + layer - 1) * width, (e * fixture.layers + layer) * width), e * width);
    }
    return out;
  });
}

const all = [1, 2, 3, 4, 5, 6];
const hidden = fixture.pooled.length / (fixture.examples * fixture.layers);

describe.each(['pabee', 'qexit', 'jei', 'maxprob', 'entropy', 'margin'] as const)('reference evaluator: %s', (kind) => {
  it.each(fixture.policies[kind]!.map((s) => [JSON.stringify(s.settings), s] as const))(
    'reproduces the PyTorch reference at %s',
    (_label, reference) => {
      const logitsSource = kind === 'qexit' ? fixture.palbertLogits : kind === 'jei' ? fixture.jeiLogits : fixture.layerLogits;
      const parameters = Object.fromEntries(Object.entries(reference.settings).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
      const result = evaluatePolicy({
        spec: policySpecs[kind],
        exitLayers: all,
        classes: fixture.classes,
        logits: perLayer(logitsSource, fixture.classes, all),
        ...(kind === 'qexit' ? { pooled: perLayer(fixture.pooled, hidden, all), weight, weightsPrefix: 'palbert.lambda.', lambdaBlocks: 1 } : {}),
        ...(kind === 'jei' ? { weight, weightsPrefix: 'jei.gate.{i}.' } : {}),
        ...(kind === 'entropy' ? { normalizedEntropy: true } : {}),
        parameters,
      });
      expect([...result.exitLayer]).toEqual(reference.exit_layer);
      expect([...result.prediction]).toEqual(reference.prediction);
    },
  );
});
