/** One candidate setting, measured. */
export interface Measured<S> {
  readonly setting: S;
  /** Accuracy against labels, or agreement with the full model without labels. */
  readonly quality: number;
  /** Mean 1-based exit layer. */
  readonly meanExitLayer: number;
}

/**
 * The Pareto frontier: settings that no other setting beats on both quality (higher) and cost (lower),
 * sorted by cost.
 */
export function paretoFrontier<S>(points: readonly Measured<S>[]): Measured<S>[] {
  const sorted = [...points].sort((a, b) => a.meanExitLayer - b.meanExitLayer || b.quality - a.quality);
  const frontier: Measured<S>[] = [];
  let best = Number.NEGATIVE_INFINITY;
  for (const p of sorted) {
    if (p.quality > best) {
      frontier.push(p);
      best = p.quality;
    }
  }
  return frontier;
}

/** The cheapest setting whose quality is within `budget` (absolute, e.g. 0.01) of `reference`. */
export function cheapestWithin<S>(
  points: readonly Measured<S>[],
  reference: number,
  budget: number,
): Measured<S> | undefined {
  return paretoFrontier(points).find((p) => p.quality >= reference - budget - 1e-12);
}
