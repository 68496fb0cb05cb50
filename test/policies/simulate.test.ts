import { describe, expect, it } from 'vitest';
import {
  evaluatePolicy,
  type ParameterValues,
  type PolicyKind,
  policySpecs,
  recordingFromSignals,
  simulate,
} from '../../src/policies/index.js';
import { layers } from './support/build.js';
import { rng } from './support/random.js';

/**
 * The simulator replays settings side by side as extra batch rows. Each setting's result must equal a run
 * of that setting alone, whichever group it falls in, and the evaluator's.
 */
const BATCH = 37;
const EXITS = 7;
const random = rng(99);

const settingsOf: Record<PolicyKind, ParameterValues[]> = {
  pabee: [0, 1, 2, 3, 6, 7].map((patience) => ({ patience })),
  qexit: [0.1, 0.3, 0.5, 0.7, 0.9].map((q) => ({ q })),
  pondernet: [{}, {}],
  jei: [0.2, 0.35, 0.5, 0.65].map((threshold) => ({ threshold })),
  maxprob: [0.3, 0.5, 0.7, 0.9].map((threshold) => ({ threshold })),
  margin: [0.1, 0.3, 0.5].map((threshold) => ({ threshold })),
  entropy: [
    { threshold: 0.3 },
    { threshold: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7] },
    { threshold: [0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1] },
    {},
  ],
  mamba: [0.2, 0.6, 0.95].map((threshold) => ({ threshold })),
};

function recordingFor(kind: PolicyKind) {
  const spec = policySpecs[kind];
  const integer = spec.signalType({}) === 'int64';
  const signals = Array.from({ length: EXITS }, () =>
    Array.from({ length: BATCH }, () =>
      integer ? Math.floor(random() * 2) : random() * (kind === 'jei' ? 0.5 : 1),
    ),
  );
  return recordingFromSignals(spec, {
    exitLayers: layers(EXITS),
    classes: 3,
    signals,
    predictions: signals.map(() => Int32Array.from({ length: BATCH }, () => Math.floor(random() * 3))),
  });
}

describe.each(Object.keys(settingsOf) as PolicyKind[])('%s', (kind) => {
  const spec = policySpecs[kind];
  const recording = recordingFor(kind);
  const settings = settingsOf[kind];
  const uniforms = Float32Array.from({ length: BATCH * EXITS }, random);
  const extra = { minExit: 2, ...(spec.needsUniform ? { uniforms } : {}) };

  it('settings side by side (in groups of any size) equal each setting alone', () => {
    const alone = settings.map((s) => simulate(spec, recording, [s], extra)[0]!);
    for (const rowsPerReplay of [1, 2 * BATCH, 3 * BATCH + 5, 1 << 16]) {
      const together = simulate(spec, recording, settings, { ...extra, rowsPerReplay });
      expect(together).toHaveLength(settings.length);
      together.forEach((result, k) => {
        expect(result.parameters).toBe(settings[k]);
        expect([...result.exitLayer]).toEqual([...alone[k]!.exitLayer]);
        expect([...result.prediction]).toEqual([...alone[k]!.prediction]);
        expect([...result.confidence]).toEqual([...alone[k]!.confidence]);
      });
    }
    // The settings differ in effect, so mixing up their rows would show.
    const distinct = new Set(alone.map((r) => r.exitLayer.join()));
    expect(distinct.size).toBeGreaterThan(kind === 'pondernet' ? 0 : 1);
    for (const r of alone) expect(Math.min(...r.exitLayer)).toBeGreaterThanOrEqual(2);
  });
});

describe('the simulator against the evaluator', () => {
  it('agrees on exits, predictions and confidences for head outputs it never saw', () => {
    const classes = 4;
    const heads = Array.from({ length: EXITS }, () => ({
      logits: Float32Array.from({ length: BATCH * classes }, () => (random() - 0.5) * 4),
    }));
    const input = { spec: policySpecs.maxprob, exitLayers: layers(EXITS), classes, heads };
    const settings = [0.3, 0.45, 0.6, 0.75].map((threshold) => ({ threshold }));
    const recording = evaluatePolicy(input).recording;
    const simulated = simulate(policySpecs.maxprob, recording, settings);
    settings.forEach((parameters, k) => {
      const evaluated = evaluatePolicy({ ...input, parameters });
      expect([...simulated[k]!.exitLayer]).toEqual([...evaluated.exitLayer]);
      expect([...simulated[k]!.prediction]).toEqual([...evaluated.prediction]);
      expect([...simulated[k]!.confidence]).toEqual([...evaluated.confidence]);
    });
  });
});
