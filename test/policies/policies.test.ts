import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluatePolicy,
  policySpecs,
  recordSignals,
  stateLayout,
  weightsAt,
} from '../../src/policies/index.js';
import { batchLogits, decide, layers, logitRows } from './support/build.js';

const { pabee, qexit, pondernet, jei, maxprob, entropy, margin, mamba } = policySpecs;

/** Logits of C = 3 classes whose argmax is `k`. */
const predicting = (k: number) => [0, 1, 2].map((c) => (c === k ? 2 : 0));

/** JetRunner/PABEE's inference loop at batch 1, transcribed from policies.md §1(a): the 1-based exit layer. */
function originalPabee(preds: readonly number[], patience: number): number {
  if (patience === 0) return preds.length;
  let count = 0;
  for (let i = 0; i < preds.length; i++) {
    count = i > 0 && preds[i] === preds[i - 1] ? count + 1 : 0;
    if (count === patience) return i + 1;
  }
  return preds.length;
}

describe('pabee', () => {
  const run = (preds: number[], patience: number) =>
    evaluatePolicy({
      spec: pabee,
      exitLayers: layers(preds.length),
      classes: 3,
      heads: logitRows(preds.map(predicting)),
      parameters: { patience },
    });

  it('t = 2 with predictions (1, 0, 0, 0, …) exits at layer 4 (policies.md §7.3), confidence = the count', () => {
    const result = run([1, 0, 0, 0, 0, 0], 2);
    expect(result.exitLayer[0]).toBe(4);
    expect(result.prediction[0]).toBe(0);
    expect(result.confidence[0]).toBe(2);
  });
  it('earliest exit is layer t + 1', () => {
    expect(run([2, 2, 2, 2, 2, 2], 1).exitLayer[0]).toBe(2);
    expect(run([2, 2, 2, 2, 2, 2], 3).exitLayer[0]).toBe(4);
  });
  it('patience 0 never exits early; patience ≥ N falls through to the last layer', () => {
    expect(run([1, 1, 1, 1, 1, 1], 0).exitLayer[0]).toBe(6);
    expect(run([1, 1, 1, 1, 1, 1], 6).exitLayer[0]).toBe(6);
  });
  it('a change of prediction resets the count', () => {
    expect(run([1, 1, 0, 0, 2, 2], 2).exitLayer[0]).toBe(6);
  });
  it('argmax ties take the first index (as PyTorch and ONNX ArgMax)', () => {
    // First index: predictions 0, 0, 0 → exit at 3. Last index would give 1, 2, 2 → no exit before 6.
    const heads = logitRows([
      [3, 3, 0],
      [1, 0, 1],
      [4, 1, 4],
      [0, 0, 9],
      [9, 0, 0],
      [0, 9, 0],
    ]);
    const result = evaluatePolicy({
      spec: pabee,
      exitLayers: layers(6),
      classes: 3,
      heads,
      parameters: { patience: 2 },
    });
    expect(result.exitLayer[0]).toBe(3);
    expect([...result.recording.signals.map((s) => s.data[0])]).toEqual([0, 0, 0, 2, 0, 1]);
  });
  it('regression compares consecutive outputs with |Δ| < τ (strict), τ = 0 never agrees', () => {
    const heads = logitRows([[1], [1.5], [1.55], [1.58], [3], [3]]);
    const at = (threshold: number) =>
      evaluatePolicy({
        spec: pabee,
        options: { task: 'regression' },
        exitLayers: layers(6),
        classes: 1,
        heads,
        parameters: { patience: 2, threshold },
      }).exitLayer[0];
    expect(at(0.1)).toBe(4);
    expect(at(0)).toBe(6);
    // |1.55 − 1.5| is 0.04999995 in float32, just below 0.05: float32 arithmetic decides the agreement.
    expect(Math.fround(Math.fround(1.55) - Math.fround(1.5))).toBeLessThan(Math.fround(0.05));
    expect(at(0.05)).toBe(4);
    expect(at(0.04)).toBe(6);
  });
  it('min_exit never strands a sample that agreed for longer than t (exit once count ≥ t)', () => {
    const at = (minExit: number) =>
      evaluatePolicy({
        spec: pabee,
        exitLayers: layers(6),
        classes: 3,
        heads: logitRows([1, 1, 1, 1, 1, 1].map(predicting)),
        parameters: { patience: 1 },
        minExit,
      });
    expect(at(1).exitLayer[0]).toBe(2);
    // The count is 3 at layer 4; the original `cnt == t` would never fire again and run to layer 6.
    expect(at(4).exitLayer[0]).toBe(4);
    expect(at(4).confidence[0]).toBe(3);
  });
  it('at batch 1 and without min_exit, equals the original loop (`cnt == t`, patience 0 = full model)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 13 }),
        (preds, patience) => {
          expect(run(preds, patience).exitLayer[0]).toBe(originalPabee(preds, patience));
        },
      ),
    );
  });
  it('decides per sample: one sample does not hold back another (the original code is batch-synchronous)', () => {
    const heads = batchLogits([
      [predicting(0), predicting(1)],
      [predicting(0), predicting(2)],
      [predicting(0), predicting(2)],
      [predicting(1), predicting(2)],
    ]);
    const result = evaluatePolicy({
      spec: pabee,
      exitLayers: layers(4),
      classes: 3,
      heads,
      parameters: { patience: 2 },
    });
    expect([...result.exitLayer]).toEqual([3, 4]);
    expect([...result.prediction]).toEqual([0, 2]);
  });
});

describe('qexit (PALBERT)', () => {
  it('λ = (0.1, 0.2, 0.3, 0.4), q = 0.5 exits at layer 4 with cdf 0.6976 (strict >)', () => {
    const result = decide(qexit, [0.1, 0.2, 0.3, 0.4, 0.5, 0.5], { q: 0.5 });
    expect(result.exitLayer).toBe(4);
    // cdf accumulates in float64 over float32 λ; the confidence output is its float32 rounding.
    const l = [0.1, 0.2, 0.3, 0.4].map(Math.fround);
    const cdf = 1 - l.reduce((s, v) => s * (1 - v), 1);
    expect(result.confidence).toBeCloseTo(cdf, 6);
    expect(decide(qexit, [0.1, 0.2, 0.3, 0.4, 0.5, 0.5], { q: 0.4 }).exitLayer).toBe(3);
  });
  it('cdf exactly at q does not exit (strict), one float64 step above does', () => {
    expect(decide(qexit, [0.5, 0, 0], { q: 0.5 }).exitLayer).toBe(3);
    expect(decide(qexit, [0.5, 0, 0], { q: 0.49999999999999994 }).exitLayer).toBe(1);
  });
});

describe('pondernet', () => {
  it('exits at the first layer where u < λ, reproducibly', () => {
    const lambdas = [0.1, 0.2, 0.3, 0.4];
    expect(decide(pondernet, lambdas, {}, { uniforms: [0.5, 0.25, 0.29, 0.9] }).exitLayer).toBe(3);
    expect(decide(pondernet, lambdas, {}, { uniforms: [0.05, 0, 0, 0] }).exitLayer).toBe(1);
    expect(decide(pondernet, lambdas, {}, { uniforms: [0.9, 0.9, 0.9, 0.9] }).exitLayer).toBe(4);
    // u = λ exactly is not below it.
    expect(
      decide(pondernet, lambdas, {}, { uniforms: [0.1, 0.2, 0.3, 0.9].map(Math.fround) }).exitLayer,
    ).toBe(4);
  });
});

describe('jei', () => {
  it('g = (0.4, 0.35) exits at gate 2: 0.35 ≥ 0.5·(1 − 0.4), though neither g ≥ 0.5', () => {
    const result = decide(jei, [0.4, 0.35, 0.9], { threshold: 0.5 });
    expect(result.exitLayer).toBe(2);
    expect(result.confidence).toBe(Math.fround(0.35));
  });
  it('G = 6 gates all at 0.1 never fire: the final head decides (layer 7)', () => {
    expect(decide(jei, [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0], { threshold: 0.5 }).exitLayer).toBe(7);
  });
  it('once Σg reaches 1 nothing exits (R > 0 is required); only min_exit can hold a sample that long', () => {
    expect(decide(jei, [0.6, 0.6, 0.5, 0.5, 0], { threshold: 0.5 }, { minExit: 3 }).exitLayer).toBe(5);
    expect(decide(jei, [0.6, 0.1, 0.5, 0.5, 0], { threshold: 0.5 }, { minExit: 3 }).exitLayer).toBe(3);
  });
  it('gate features are NaN-free for extreme logits (LogSoftmax-based entropies)', () => {
    // Gate weights picking one feature each: [p_max, H, margin, H(softmax(2z))] with unit weight, bias 0.
    const features = [0, 1, 2, 3].map((k) => {
      const w = Float32Array.from([0, 1, 2, 3], (j) => (j === k ? 1 : 0));
      return recordSignals({
        spec: jei,
        exitLayers: [1, 2],
        classes: 2,
        heads: logitRows([
          [1000, -1000],
          [0, 0],
        ]),
        weightsPrefix: 'gate.{i}.',
        weight: (key) =>
          key === 'gate.0.weight'
            ? { data: w, shape: [1, 4] }
            : key === 'gate.0.bias'
              ? { data: Float32Array.of(0), shape: [1] }
              : undefined,
      }).signals[0]!.data[0]!;
    });
    const sigmoid = (v: number) => Math.fround(1 / (1 + Math.exp(-v)));
    // p = (1, 0): p_max 1, entropies 0, margin 1.
    expect(features).toEqual([sigmoid(1), 0.5, sigmoid(1), 0.5]);
  });
  it('the threshold generalises the paper’s 0.5', () => {
    expect(decide(jei, [0.3, 0.25, 0.9], { threshold: 0.35 }).exitLayer).toBe(2);
    expect(decide(jei, [0.3, 0.25, 0.9], { threshold: 0.5 }).exitLayer).toBe(3);
  });
});

describe('threshold policies', () => {
  it('maxprob and margin exit at ≥ τ; entropy at < τ (strict)', () => {
    const at = Math.fround(0.75);
    expect(decide(maxprob, [0.5, at, 0.9], { threshold: at }).exitLayer).toBe(2);
    expect(decide(margin, [0.5, at, 0.9], { threshold: at }).exitLayer).toBe(2);
    expect(decide(entropy, [0.9, at, 0.1], { threshold: at }).exitLayer).toBe(3);
  });
  it('entropy takes one threshold per exit (DeeBERT)', () => {
    expect(decide(entropy, [0.5, 0.5, 0.5], { threshold: [0.1, 0.6, 0.9] }).exitLayer).toBe(2);
    expect(decide(entropy, [0.5, 0.5, 0.5], { threshold: [0.1, 0.2, 0.3] }).exitLayer).toBe(3);
  });
  it('entropy is NaN-free for extreme logits, normalised by ln C when asked', () => {
    const heads = logitRows([
      [1000, -1000],
      [0, 0],
      [1000, 999],
    ]);
    const raw = recordSignals({ spec: entropy, exitLayers: layers(3), classes: 2, heads });
    const normalised = recordSignals({
      spec: entropy,
      exitLayers: layers(3),
      classes: 2,
      heads,
      options: { normalizedEntropy: true },
    });
    expect(raw.signals.map((s) => s.data[0])).toEqual([
      0,
      Math.fround(Math.log(2)),
      expect.closeTo(0.5822, 3),
    ]);
    expect(normalised.signals[1]!.data[0]).toBeCloseTo(1, 6);
    expect(normalised.signals[0]!.data[0]).toBe(0);
  });
  it('maxprob / margin measure softmax', () => {
    const heads = logitRows([[Math.log(3), 0, 0]]);
    expect(
      recordSignals({ spec: maxprob, exitLayers: [1], classes: 3, heads }).signals[0]!.data[0],
    ).toBeCloseTo(0.6, 6);
    expect(
      recordSignals({ spec: margin, exitLayers: [1], classes: 3, heads }).signals[0]!.data[0],
    ).toBeCloseTo(0.4, 6);
  });
  it('mamba: confidence from max softmax of the head, or the sigmoid of its single score; exit at ≥ τ', () => {
    const maxSoftmax = recordSignals({
      spec: mamba,
      exitLayers: [1],
      classes: 2,
      heads: logitRows([[0, Math.log(4)]]),
    });
    expect(maxSoftmax.signals[0]!.data[0]).toBeCloseTo(0.8, 6);
    const sigmoid = recordSignals({
      spec: mamba,
      options: { measure: 'sigmoid' },
      exitLayers: [1],
      classes: 1,
      heads: logitRows([[Math.log(3)]]),
    });
    expect(sigmoid.signals[0]!.data[0]).toBeCloseTo(0.75, 6);
    expect(decide(mamba, [0.5, 0.8, 0.95], { threshold: 0.8 }).exitLayer).toBe(2);
  });
});

describe('driver rules', () => {
  const sure = [9, 0];
  const unsure = [0, 0];
  it('min_exit: never exit before it, even when the policy wants to', () => {
    const heads = logitRows([sure, sure, sure, sure]);
    const at = (minExit: number) =>
      evaluatePolicy({
        spec: maxprob,
        exitLayers: layers(4),
        classes: 2,
        heads,
        parameters: { threshold: 0.9 },
        minExit,
      }).exitLayer[0];
    expect(at(1)).toBe(1);
    expect(at(3)).toBe(3);
  });
  it('the last layer always exits, with its own logits and confidence', () => {
    const heads = logitRows([unsure, unsure, [0.5, 0]]);
    const result = evaluatePolicy({
      spec: maxprob,
      exitLayers: layers(3),
      classes: 2,
      heads,
      parameters: { threshold: 0.99 },
    });
    expect(result.exitLayer[0]).toBe(3);
    expect([...result.logits]).toEqual([0.5, 0]);
    expect(result.confidence[0]).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 6);
  });
  it('a sample that has exited keeps its first exit while the batch goes on', () => {
    const heads = batchLogits([
      [[0, 9], unsure],
      [[9, 0], unsure],
      [
        [0, 3],
        [5, 0],
      ],
    ]);
    const result = evaluatePolicy({
      spec: maxprob,
      exitLayers: layers(3),
      classes: 2,
      heads,
      parameters: { threshold: 0.9 },
    });
    expect([...result.exitLayer]).toEqual([1, 3]);
    expect([...result.logits]).toEqual([0, 9, 5, 0]);
    expect([...result.prediction]).toEqual([1, 0]);
    expect(result.confidence[0]).toBeCloseTo(1 / (1 + Math.exp(-9)), 6);
  });
  it('exits may sit at any layers: the reported layer is the backbone layer, 1-based', () => {
    const result = evaluatePolicy({
      spec: maxprob,
      exitLayers: [4, 8, 12],
      classes: 2,
      heads: logitRows([unsure, sure, unsure]),
      parameters: { threshold: 0.9 },
    });
    expect(result.exitLayer[0]).toBe(8);
  });
});

describe('declarations', () => {
  it('lists the lambda MLP weights with full keys and shapes', () => {
    const at = { template: 'palbert.lambda.', exitIndex: 0, exitCount: 6, layer: 1 };
    expect(weightsAt(qexit, at, { hidden: 64, classes: 4, lambdaBlocks: 2 })).toEqual([
      { key: 'palbert.lambda.hidden.0.weight', shape: [128, 128] },
      { key: 'palbert.lambda.hidden.1.weight', shape: [128, 128] },
      { key: 'palbert.lambda.hidden.0.bias', shape: [128] },
      { key: 'palbert.lambda.hidden.1.bias', shape: [128] },
      { key: 'palbert.lambda.out.weight', shape: [1, 128] },
      { key: 'palbert.lambda.out.bias', shape: [1] },
    ]);
  });
  it('JEI gates are per exit and absent at the last exit', () => {
    const dims = { hidden: 64, classes: 4, lambdaBlocks: 0 };
    expect(weightsAt(jei, { template: 'jei.gate.{i}.', exitIndex: 2, exitCount: 6, layer: 3 }, dims)).toEqual(
      [
        { key: 'jei.gate.2.weight', shape: [1, 4] },
        { key: 'jei.gate.2.bias', shape: [1] },
      ],
    );
    expect(weightsAt(jei, { template: 'jei.gate.{i}.', exitIndex: 5, exitCount: 6, layer: 6 }, dims)).toEqual(
      [],
    );
  });
  it('states the per-sample state each segment passes on, typed per option', () => {
    expect(stateLayout(pabee.state, {})).toEqual([
      { name: 'previous', dtype: 'int64', initial: -1 },
      { name: 'count', dtype: 'int64', initial: 0 },
    ]);
    expect(stateLayout(pabee.state, { task: 'regression' })[0]!.dtype).toBe('float32');
    expect(stateLayout(qexit.state, {}).map((s) => s.dtype)).toEqual(['float64', 'float64']);
    expect(maxprob.state).toEqual([]);
  });
  it('every parameter default lies in its declared range and every state the step returns is declared', () => {
    for (const spec of Object.values(policySpecs)) {
      for (const p of spec.parameters) {
        if (p.minimum !== undefined) expect(p.default).toBeGreaterThanOrEqual(p.minimum);
        if (p.maximum !== undefined) expect(p.default).toBeLessThanOrEqual(p.maximum);
      }
      const signals = [0.2, 0.3].map((v) => (spec.signalType({}) === 'int64' ? 1 : v));
      const uniforms = spec.needsUniform ? { uniforms: [0.5, 0.5] } : {};
      expect(() => decide(spec, signals, {}, uniforms), spec.kind).not.toThrow();
      expect(spec.needsPooled).toBe(spec.headOutputs.includes('pooled'));
    }
  });
});
