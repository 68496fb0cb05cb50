import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibrate/index.js';
import { binomialLowerTail, fixedSequenceTest } from '../../src/calibrate/risk-control.js';
import { rng } from '../policies/support/random.js';

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
});
