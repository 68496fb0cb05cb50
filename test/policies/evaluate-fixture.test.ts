import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNpy, parseSafetensors } from '../../src/io/index.js';
import {
  evaluatePolicy,
  type PolicyKind,
  type PolicyOptions,
  policySpecs,
  recordingFromSignals,
  simulate,
} from '../../src/policies/index.js';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

/**
 * The reference evaluator and the simulator against the encoder fixture's PyTorch reference
 * (`reference/policies.json`, computed by a plain Python implementation of policies.md's rules).
 */
const fixture = loadEncoderFixture();
const { examples: E, layers: N, classes: C } = fixture;
const exitLayers = Array.from({ length: N }, (_, k) => k + 1);
const hidden = fixture.pooled.length / (E * N);
const heads = parseSafetensors(readFileSync(fixturePath('heads.safetensors')), 'heads.safetensors').file!;
const weight = (key: string) => {
  const t = heads.tensors.get(key);
  return t ? { data: t.values(), shape: t.shape } : undefined;
};
const npy = (name: string) =>
  parseNpy(readFileSync(fixturePath('reference', name)), name).array!.data as Float32Array;
const recordedLambdas = npy('palbert_lambdas.npy');
const recordedGates = npy('jei_gates.npy');

/** Exit e's rows [E, width] of a reference array [E, N, width]. */
function atExit(source: Float32Array, width: number, e: number): Float32Array {
  const out = new Float32Array(E * width);
  for (let x = 0; x < E; x++)
    out.set(source.subarray((x * N + e) * width, (x * N + e + 1) * width), x * width);
  return out;
}
/** Column e of a reference array [E, width]. */
const column = (source: Float32Array, width: number, e: number) =>
  Float32Array.from({ length: E }, (_, x) => source[x * width + e]!);

type Reference = { settings: Record<string, number | boolean>; exit_layer: number[]; prediction: number[] };
const kinds = [
  'pabee',
  'qexit',
  'jei',
  'maxprob',
  'entropy',
  'margin',
] as const satisfies readonly PolicyKind[];

function setup(kind: (typeof kinds)[number]) {
  const logits =
    kind === 'qexit' ? fixture.palbertLogits : kind === 'jei' ? fixture.jeiLogits : fixture.layerLogits;
  return {
    spec: policySpecs[kind],
    exitLayers,
    classes: C,
    options: (kind === 'qexit'
      ? { lambdaBlocks: 1 }
      : kind === 'entropy'
        ? { normalizedEntropy: true }
        : {}) as PolicyOptions,
    heads: exitLayers.map((_, e) => ({
      logits: atExit(logits, C, e),
      ...(kind === 'qexit' ? { pooled: atExit(fixture.pooled, hidden, e) } : {}),
    })),
    weight,
    ...(kind === 'qexit'
      ? { weightsPrefix: 'palbert.lambda.' }
      : kind === 'jei'
        ? { weightsPrefix: 'jei.gate.{i}.' }
        : {}),
  };
}

const parametersOf = (settings: Reference['settings']) =>
  Object.fromEntries(Object.entries(settings).filter(([, v]) => typeof v === 'number')) as Record<
    string,
    number
  >;

const agreement = (a: ArrayLike<number>, b: readonly number[]) =>
  Array.from(a).filter((v, i) => v === b[i]).length / b.length;

describe.each(kinds)('%s on the encoder fixture', (kind) => {
  const references = fixture.policies[kind] as Reference[];
  const input = setup(kind);
  const evaluated = references.map((r) => evaluatePolicy({ ...input, parameters: parametersOf(r.settings) }));

  it.each(references.map((r, k) => [JSON.stringify(r.settings), k] as const))(
    'the evaluator reproduces every exit layer and prediction at %s',
    (_label, k) => {
      const reference = references[k]!;
      expect(agreement(evaluated[k]!.exitLayer, reference.exit_layer)).toBe(1);
      expect(agreement(evaluated[k]!.prediction, reference.prediction)).toBe(1);
      // The settings spread exits: not every sample leaves at the same layer.
      expect(new Set(reference.exit_layer).size).toBeGreaterThan(1);
    },
  );

  it('the simulator agrees with the evaluator at every setting', () => {
    const simulated = simulate(
      input.spec,
      evaluated[0]!.recording,
      references.map((r) => parametersOf(r.settings)),
    );
    simulated.forEach((s, k) => {
      expect([...s.exitLayer]).toEqual([...evaluated[k]!.exitLayer]);
      expect([...s.prediction]).toEqual([...evaluated[k]!.prediction]);
      expect([...s.confidence]).toEqual([...evaluated[k]!.confidence]);
    });
  });
});

describe.each([
  { kind: 'qexit' as const, recorded: recordedLambdas, width: N, gates: N },
  { kind: 'jei' as const, recorded: recordedGates, width: N - 1, gates: N - 1 },
])('$kind signals from the weights in heads.safetensors', ({ kind, recorded, width, gates }) => {
  const input = setup(kind);
  const recording = evaluatePolicy({ ...input, parameters: {} }).recording;

  it('match the PyTorch-recorded values', () => {
    let worst = 0;
    for (let e = 0; e < gates; e++) {
      const expected = column(recorded, width, e);
      recording.signals[e]!.data.forEach((v, x) => {
        worst = Math.max(worst, Math.abs(v - expected[x]!));
      });
    }
    expect(worst).toBeLessThan(2e-6);
  });

  it('replayed from the recorded values, reproduce the reference decisions', () => {
    const signals = exitLayers.map((_, e) => (e < gates ? column(recorded, width, e) : new Float32Array(E)));
    const fromTorch = recordingFromSignals(input.spec, {
      exitLayers,
      classes: C,
      options: input.options,
      signals,
      predictions: recording.predictions,
    });
    const references = fixture.policies[kind] as Reference[];
    const results = simulate(
      input.spec,
      fromTorch,
      references.map((r) => parametersOf(r.settings)),
    );
    results.forEach((result, k) => {
      expect(agreement(result.exitLayer, references[k]!.exit_layer)).toBe(1);
      expect(agreement(result.prediction, references[k]!.prediction)).toBe(1);
    });
  });
});
