/** One candidate setting, measured. */
export interface Measured<S> {
  readonly setting: S;
  /** Accuracy against labels, or agreement with the full model without labels. */
  readonly quality: number;
  /** Mean 1-based exit layer. */
  readonly meanExitLayer: number;
  /** Mean batch-1 latency per example under the measured per-segment latency model (`latency.ts`). */
  readonly meanLatencyMs?: number;
  /** Mean FLOPs per example (the segments each sample runs). */
  readonly meanFlops?: number;
}

/**
 * The Pareto frontier: settings that no other setting beats on both quality (higher) and cost (lower),
 * sorted by cost. Cost is the mean exit layer unless `cost` says otherwise (e.g. measured latency).
 */
export function paretoFrontier<S>(
  points: readonly Measured<S>[],
  cost: (p: Measured<S>) => number = (p) => p.meanExitLayer,
): Measured<S>[] {
  const sorted = [...points].sort((a, b) => cost(a) - cost(b) || b.quality - a.quality);
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
