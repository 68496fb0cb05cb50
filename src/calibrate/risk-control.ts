/**
 * Risk control in the style of CALM (Schuster et al. 2022), which applies Learn-then-Test (Angelopoulos et al.
 * 2021): choose the cheapest setting whose risk — the expected per-example loss — is at most ε, with
 * probability at least 1 − δ over the calibration examples.
 *
 * - Loss per example: 1 when the setting loses what the full model had (labels: the full model is right and
 *   the early exit is wrong; no labels: the early exit's prediction differs from the full model's), else 0.
 *   The mean of this loss bounds the quality drop from above, so a guarantee on it is one on the drop.
 * - Each candidate's null hypothesis "risk > ε" gets an exact binomial p-value: the chance of at most the
 *   observed number of losses among n examples if each example lost with probability ε (valid for 0/1 losses,
 *   and conservative when the true risk is above ε).
 * - Fixed-sequence testing: the candidates are ordered from the most expensive (safest) to the cheapest, and
 *   rejected in that order until the first p-value above δ; every rejected candidate has risk ≤ ε jointly
 *   with probability ≥ 1 − δ, and the cheapest of them is chosen.
 * - The order must not look at the losses it is tested on: it is fixed on one half of the examples (even
 *   indices: cost per candidate) and the tests run on the other half (odd indices).
 */

/** log Γ(x) for x > 0 (Lanczos, g = 7), accurate to ~1e-13: enough for binomial tails of thousands of trials. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let k = 1; k < 9; k++) a += c[k]! / (z + k);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(X ≤ k) for X ~ Binomial(n, p): the p-value of "risk > p" after k losses in n examples. */
export function binomialLowerTail(n: number, k: number, p: number): number {
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  const logChoose = (i: number) => logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1);
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += Math.exp(logChoose(i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  return Math.min(1, sum);
}

export interface RiskCandidate<S> {
  readonly setting: S;
  /** Mean exit layer on the ordering half (the cost that fixes the test order). */
  readonly orderingCost: number;
  /** Losses (0/1) on the testing half. */
  readonly losses: ArrayLike<number>;
}

export interface RiskTest<S> {
  readonly setting: S;
  readonly losses: number;
  readonly n: number;
  readonly pValue: number;
  readonly rejected: boolean;
}

/**
 * Fixed-sequence Learn-then-Test: candidates from the most expensive to the cheapest (by `orderingCost`),
 * rejecting "risk > ε" while p ≤ δ. Returns every test made and the index (into `tests`) of the cheapest
 * certified candidate, if any.
 */
export function fixedSequenceTest<S>(
  candidates: readonly RiskCandidate<S>[],
  epsilon: number,
  delta: number,
): { tests: RiskTest<S>[]; chosen?: number } {
  const ordered = [...candidates].sort((a, b) => b.orderingCost - a.orderingCost);
  const tests: RiskTest<S>[] = [];
  let chosen: number | undefined;
  for (const c of ordered) {
    let losses = 0;
    for (let i = 0; i < c.losses.length; i++) losses += c.losses[i]! > 0 ? 1 : 0;
    const pValue = binomialLowerTail(c.losses.length, losses, epsilon);
    const rejected = pValue <= delta;
    tests.push({ setting: c.setting, losses, n: c.losses.length, pValue, rejected });
    if (!rejected) break;
    chosen = tests.length - 1;
  }
  return { tests, ...(chosen !== undefined ? { chosen } : {}) };
}
