import type { CalibrationResult } from './calibrate.js';
import { paretoFrontier } from './frontier.js';
import { comparisonSvg, tradeoffSvg } from './svg.js';

/** A calibration's trade-off charts: quality against mean exit layer, and against measured latency. */
export interface TradeoffCharts {
  readonly layer: string;
  /** Only when a latency model was measured. */
  readonly latency?: string;
}

/** One policy's charts: every candidate, its Pareto frontier per cost axis, the chosen setting ringed. */
export function policyCharts(r: CalibrationResult): TradeoffCharts {
  const common = {
    points: r.points,
    ...(r.chosen ? { chosen: r.chosen } : {}),
    reference: r.reference ?? 0,
    layers: r.layers ?? 0,
    qualityLabel: r.qualityKind ?? 'quality',
  };
  const layer = tradeoffSvg({
    ...common,
    title: `${r.policy}: ${r.qualityKind} vs mean exit layer`,
    frontier: r.frontier,
  });
  if (!r.latency) return { layer };
  const latency = tradeoffSvg({
    ...common,
    title: `${r.policy}: ${r.qualityKind} vs measured latency`,
    frontier: paretoFrontier(r.points, (p) => p.meanLatencyMs ?? 0),
    axis: 'latency',
    baselineMs: r.latency.backboneMs,
  });
  return { layer, latency };
}

/** Several policies calibrated on the same data, one frontier each on one chart per cost axis. */
export function comparisonCharts(results: readonly CalibrationResult[]): TradeoffCharts {
  const first = results[0]!;
  const quality = first.qualityKind ?? 'quality';
  const name = (r: CalibrationResult) => `${r.policy} (${r.model})`;
  const common = { reference: first.reference ?? 0, layers: first.layers ?? 0, qualityLabel: quality };
  const layer = comparisonSvg({
    ...common,
    title: `every policy: ${quality} vs mean exit layer`,
    series: results.map((r) => ({
      name: name(r),
      frontier: r.frontier,
      ...(r.chosen ? { chosen: r.chosen } : {}),
    })),
  });
  if (!results.every((r) => r.latency)) return { layer };
  const latency = comparisonSvg({
    ...common,
    title: `every policy: ${quality} vs measured latency`,
    series: results.map((r) => {
      const frontier = paretoFrontier(r.points, (p) => p.meanLatencyMs ?? 0);
      // The chosen setting is ringed where it lies on this axis's frontier.
      const chosen = r.chosen && frontier.includes(r.chosen) ? r.chosen : undefined;
      return { name: name(r), frontier, ...(chosen ? { chosen } : {}) };
    }),
    axis: 'latency',
    baselineMs: first.latency!.backboneMs,
  });
  return { layer, latency };
}
