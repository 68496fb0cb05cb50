import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibrate/index.js';
import { binomialLowerTail, fixedSequenceTest } from '../../src/calibrate/risk-control.js';
import { rng } from '../policies/support/random.js';
import { loadEncoderFixture } from '../support/encoder-fixture.js';

/** P(X ≤ k), X ~ Binomial(n, p), by the plain sum of n-choose-i terms built multiplicatively. */
function bruteForceTail(n: number, k: number, p: number): number {
  let sum = 0;
  let choose = 1;
  for (let i = 0; i <= k; i++) {
    if (i > 0) choose = (choose * (n - i + 1)) / i;
    sum += choose * p ** i * (1 - p) ** (n - i);
  }
  return sum;
}

describe('risk control (Learn-then-Test, fixed sequence)', () => {
  it('computes exact binomial tails', () => {
    for (const [n, k, p] of [
      [10, 0, 0.1],
      [10, 3, 0.2],
      [50, 1, 0.01],
      [200, 5, 0.05],
      [400, 12, 0.02],
    ] as const)
      expect(binomialLowerTail(n, k, p)).toBeCloseTo(bruteForceTail(n, k, p), 12);
    expect(binomialLowerTail(100, 100, 0.3)).toBe(1);
  });

  it('tests from the most expensive setting down and stops at the first it cannot certify', () => {
    const losses = (count: number, n = 300) => Array.from({ length: n }, (_, i) => (i < count ? 1 : 0));
    const { tests, chosen } = fixedSequenceTest(
      [
        { setting: 'cheap-but-lucky', orderingCost: 1, losses: losses(0) },
        { setting: 'risky', orderingCost: 2, losses: losses(30) },
        { setting: 'fine', orderingCost: 3, losses: losses(2) },
        { setting: 'full', orderingCost: 6, losses: losses(0) },
      ],
      0.05,
      0.05,
    );
    expect(tests.map((t) => t.setting)).toEqual(['full', 'fine', 'risky']);
    expect(tests.map((t) => t.rejected)).toEqual([true, true, false]);
    expect(tests[1]!.pValue).toBeCloseTo(bruteForceTail(300, 2, 0.05), 12);
    // 'cheap-but-lucky' is never tested: the sequence stopped at 'risky'.
    expect(tests[chosen!]!.setting).toBe('fine');
  });

  it('matches the closed form on a hand-made case of 20 test examples', () => {
    // ε = 0.1: p-values of 0, 1 and 2 losses are 0.9^20, + 20·0.1·0.9^19, + 190·0.01·0.9^18.
    const p0 = 0.9 ** 20;
    const p1 = p0 + 20 * 0.1 * 0.9 ** 19;
    const p2 = p1 + 190 * 0.01 * 0.9 ** 18;
    expect([p0, p1, p2].map((p) => Number(p.toFixed(5)))).toEqual([0.12158, 0.39175, 0.67693]);
    const losses = (count: number) => Array.from({ length: 20 }, (_, i) => (i < count ? 1 : 0));
    const candidates = [
      { setting: 'exit at 2', orderingCost: 2, losses: losses(2) },
      { setting: 'full', orderingCost: 6, losses: losses(0) },
      { setting: 'exit at 4', orderingCost: 4, losses: losses(1) },
    ];
    // δ = 0.2: only the full model is certified (0.12 ≤ 0.2 < 0.39).
    const strict = fixedSequenceTest(candidates, 0.1, 0.2);
    expect(strict.tests.map((t) => [t.setting, t.losses, t.n])).toEqual([
      ['full', 0, 20],
      ['exit at 4', 1, 20],
    ]);
    expect(strict.tests[0]!.pValue).toBeCloseTo(p0, 14);
    expect(strict.tests[1]!.pValue).toBeCloseTo(p1, 14);
    expect(strict.tests[strict.chosen!]!.setting).toBe('full');
    // δ = 0.4: exit at 4 is certified too (0.39 ≤ 0.4), exit at 2 is not (0.68).
    const loose = fixedSequenceTest(candidates, 0.1, 0.4);
    expect(loose.tests.map((t) => t.rejected)).toEqual([true, true, false]);
    expect(loose.tests[2]!.pValue).toBeCloseTo(p2, 14);
    expect(loose.tests[loose.chosen!]!.setting).toBe('exit at 4');
    // δ below every p-value: nothing is certified, and the sequence stops at its first test.
    const none = fixedSequenceTest(candidates, 0.1, 0.1);
    expect(none.tests).toHaveLength(1);
    expect(none.chosen).toBeUndefined();
  });

  it('keeps the chance of certifying a setting whose risk exceeds ε below δ (simulated calibration sets)', () => {
    const risks = [0, 0.01, 0.02, 0.04, 0.08, 0.15];
    const [epsilon, delta, n, trials] = [0.03, 0.1, 250, 2000];
    const random = rng(42);
    let violations = 0;
    for (let t = 0; t < trials; t++) {
      const candidates = risks.map((risk, k) => ({
        setting: risk,
        orderingCost: risks.length - k,
        losses: Array.from({ length: n }, () => (random() < risk ? 1 : 0)),
      }));
      const { tests, chosen } = fixedSequenceTest(candidates, epsilon, delta);
      if (chosen !== undefined && tests[chosen]!.setting > epsilon) violations++;
    }
    expect(violations / trials).toBeLessThanOrEqual(delta);
  });

  it('on the fixture, the certified PABEE setting is never cheaper than the empirical choice', async () => {
    const result = await calibrate({
      file: 'dsl/examples/pabee.ramp',
      data: 'fixtures/encoder/eval',
      budget: 0.02,
      delta: 0.05,
    });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const guaranteed = result.riskControl!.chosen!;
    expect(guaranteed.meanExitLayer).toBeGreaterThanOrEqual(result.chosen!.meanExitLayer);
    expect(result.riskControl!.tested).toBe(Math.floor(result.examples! / 2));
    expect(result.riskControl!.tests[0]!.rejected).toBe(true);
  }, 120_000);

  it('on the fixture, equals a from-scratch Learn-then-Test over the PyTorch reference logits', async () => {
    const [epsilon, delta] = [0.03, 0.1];
    const result = await calibrate({
      file: 'dsl/examples/pabee.ramp',
      data: 'fixtures/encoder/eval',
      budget: epsilon,
      delta,
      latency: false,
    });
    // Independently: per-layer argmax of PyTorch's head logits, PABEE as the paper's code states it
    // (policies.md §1: cnt == patience, patience 0 = the full model; min_exit 2 never binds for patience ≥ 1).
    const f = loadEncoderFixture();
    const argmax = (e: number, layer: number) => {
      const at = (c: number) => f.layerLogits[(e * f.layers + layer) * f.classes + c]!;
      let best = 0;
      for (let c = 1; c < f.classes; c++) if (at(c) > at(best)) best = c;
      return best;
    };
    const pabee = (e: number, patience: number): [number, number] => {
      if (patience === 0) return [f.layers, argmax(e, f.layers - 1)];
      let count = 0;
      for (let layer = 1; layer <= f.layers; layer++) {
        if (layer > 1 && argmax(e, layer - 1) === argmax(e, layer - 2)) count++;
        else count = 0;
        if (count === patience) return [layer, argmax(e, layer - 1)];
      }
      return [f.layers, argmax(e, f.layers - 1)];
    };
    const label = (e: number) => Number(f.labels[e]);
    const even = Array.from({ length: f.examples }, (_, e) => e).filter((e) => e % 2 === 0);
    const odd = Array.from({ length: f.examples }, (_, e) => e).filter((e) => e % 2 === 1);
    const candidates = Array.from({ length: f.layers }, (_, patience) => ({
      patience,
      cost: even.reduce((a, e) => a + pabee(e, patience)[0], 0) / even.length,
      losses: odd.filter((e) => pabee(e, 0)[1] === label(e) && pabee(e, patience)[1] !== label(e)).length,
    })).sort((a, b) => b.cost - a.cost);
    const expected: { patience: number; losses: number; pValue: number; rejected: boolean }[] = [];
    for (const c of candidates) {
      const pValue = bruteForceTail(odd.length, c.losses, epsilon);
      expected.push({ patience: c.patience, losses: c.losses, pValue, rejected: pValue <= delta });
      if (pValue > delta) break;
    }
    const got = result.riskControl!.tests;
    expect(got.map((t) => [t.setting.patience, t.losses, t.rejected])).toEqual(
      expected.map((t) => [t.patience, t.losses, t.rejected]),
    );
    for (const [k, t] of got.entries()) expect(t.pValue).toBeCloseTo(expected[k]!.pValue, 10);
    const certified = expected.filter((t) => t.rejected).at(-1);
    expect(result.riskControl!.chosen?.setting.patience).toBe(certified?.patience);
    // The guarantee costs depth: never cheaper than the empirical choice at the same budget.
    expect(result.riskControl!.chosen!.meanExitLayer).toBeGreaterThanOrEqual(result.chosen!.meanExitLayer);
  }, 120_000);
});
