import type { Measured } from './frontier.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Round tick steps (1, 2, 5 × 10^k) giving about `count` ticks over [0, max]. */
function ticks(max: number, count: number): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.floor(max / step + 1e-9) + 1 }, (_, k) =>
    Number((k * step).toPrecision(6)),
  );
}

/** What every quality-against-cost chart is drawn against. */
interface ChartAxes {
  readonly title: string;
  /** The full model's quality (a dashed horizontal line). */
  readonly reference: number;
  readonly layers: number;
  readonly qualityLabel: string;
  readonly axis?: 'layer' | 'latency';
  /** The backbone's latency (latency axis: a dashed vertical line). */
  readonly baselineMs?: number;
}

interface ChartOptions extends ChartAxes {
  /** Every quality the chart must show (candidates and the reference). */
  readonly qualities: readonly number[];
  /** Largest latency on the chart (latency axis only). */
  readonly latencyMax?: number;
}

/** The frame both scatter charts share: axes, ticks, labels, the full model's quality, the backbone's latency. */
function chartFrame(o: ChartOptions) {
  const W = 560;
  const H = 360;
  const m = { left: 56, right: 16, top: 32, bottom: 44 };
  const latency = o.axis === 'latency';
  const costOf = <S>(p: Measured<S>) => (latency ? (p.meanLatencyMs ?? 0) : p.meanExitLayer);
  const qMin = Math.max(0, Math.min(...o.qualities) - 0.02);
  const qMax = Math.min(1, Math.max(...o.qualities) + 0.02);
  const costMax = latency ? Math.max(1e-9, o.baselineMs ?? 0, o.latencyMax ?? 0) * 1.05 : o.layers;
  const costMin = latency ? 0 : 1;
  const x = (cost: number) =>
    m.left + ((cost - costMin) / Math.max(1e-9, costMax - costMin)) * (W - m.left - m.right);
  const y = (q: number) => H - m.bottom - ((q - qMin) / Math.max(1e-9, qMax - qMin)) * (H - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(o.title)}</title><rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(o.title)}</text>`,
    `<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="#333"/>`,
  ];
  const xTicks = latency ? ticks(costMax, 6) : Array.from({ length: o.layers }, (_, k) => k + 1);
  for (const t of xTicks)
    parts.push(`<text x="${x(t).toFixed(1)}" y="${H - m.bottom + 14}" text-anchor="middle">${t}</text>`);
  for (let k = 0; k <= 4; k++) {
    const q = qMin + ((qMax - qMin) * k) / 4;
    parts.push(`<text x="${m.left - 6}" y="${y(q) + 4}" text-anchor="end">${(q * 100).toFixed(1)}%</text>`);
  }
  parts.push(
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${latency ? 'mean latency per example (ms, batch 1)' : 'mean exit layer'}</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(o.qualityLabel)}</text>`,
  );
  parts.push(
    `<line class="reference" x1="${m.left}" y1="${y(o.reference)}" x2="${W - m.right}" y2="${y(o.reference)}" stroke="#999" stroke-dasharray="4 3"/>`,
  );
  if (latency && o.baselineMs !== undefined) {
    const bx = x(o.baselineMs).toFixed(1);
    parts.push(
      `<line class="baseline" x1="${bx}" y1="${m.top}" x2="${bx}" y2="${H - m.bottom}" stroke="#b70" stroke-dasharray="4 3"/>`,
    );
    parts.push(`<text x="${bx}" y="${m.top - 2}" text-anchor="middle" fill="#b70">backbone</text>`);
  }
  const path = <S>(frontier: readonly Measured<S>[]) =>
    frontier
      .map((p, k) => `${k === 0 ? 'M' : 'L'}${x(costOf(p)).toFixed(1)} ${y(p.quality).toFixed(1)}`)
      .join(' ');
  return { W, m, parts, x, y, costOf, path };
}

/**
 * A self-contained SVG scatter of quality against cost: every candidate, the Pareto frontier as a line, the
 * chosen setting ringed, the full model as a dashed line. No scripts, no external assets.
 *
 * The cost axis is the mean exit layer (1..layers) by default; with `axis: 'latency'` it is each point's
 * `meanLatencyMs` from 0, and `baselineMs` (the backbone as given) is drawn as a dashed vertical line.
 */
export function tradeoffSvg<S>(
  options: ChartAxes & {
    readonly points: readonly Measured<S>[];
    readonly frontier: readonly Measured<S>[];
    readonly chosen?: Measured<S>;
  },
): string {
  const { parts, x, y, costOf, path } = chartFrame({
    ...options,
    qualities: [...options.points.map((p) => p.quality), options.reference],
    latencyMax: Math.max(0, ...options.points.map((p) => p.meanLatencyMs ?? 0)),
  });
  for (const p of options.points)
    parts.push(
      `<circle class="candidate" cx="${x(costOf(p)).toFixed(1)}" cy="${y(p.quality).toFixed(1)}" r="2.5" fill="#8aa"/>`,
    );
  const d = path(options.frontier);
  if (d) parts.push(`<path class="frontier" d="${d}" fill="none" stroke="#c33" stroke-width="1.5"/>`);
  if (options.chosen) {
    parts.push(
      `<circle class="chosen" cx="${x(costOf(options.chosen)).toFixed(1)}" cy="${y(options.chosen.quality).toFixed(1)}" r="6" fill="none" stroke="#06c" stroke-width="2"/>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Colours for up to eight policies on one chart (colour-blind safe, Okabe-Ito). */
const SERIES_COLOURS = [
  '#0072b2',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#f0e442',
  '#000000',
];

/**
 * Several policies' trade-offs on one chart: each policy's Pareto frontier as a line of its own colour, its
 * frontier settings as dots and its chosen setting ringed, with a legend; the full model's quality dashed.
 */
export function comparisonSvg<S>(
  options: ChartAxes & {
    readonly series: readonly {
      readonly name: string;
      readonly frontier: readonly Measured<S>[];
      readonly chosen?: Measured<S>;
    }[];
  },
): string {
  const all = options.series.flatMap((s) => s.frontier);
  const { W, m, parts, x, y, costOf, path } = chartFrame({
    ...options,
    qualities: [...all.map((p) => p.quality), options.reference],
    latencyMax: Math.max(0, ...all.map((p) => p.meanLatencyMs ?? 0)),
  });
  options.series.forEach((s, k) => {
    const colour = SERIES_COLOURS[k % SERIES_COLOURS.length]!;
    parts.push(`<g class="series" data-policy="${esc(s.name)}">`);
    const d = path(s.frontier);
    if (d) parts.push(`<path class="frontier" d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    for (const p of s.frontier)
      parts.push(
        `<circle class="setting" cx="${x(costOf(p)).toFixed(1)}" cy="${y(p.quality).toFixed(1)}" r="2.5" fill="${colour}"/>`,
      );
    if (s.chosen)
      parts.push(
        `<circle class="chosen" cx="${x(costOf(s.chosen)).toFixed(1)}" cy="${y(s.chosen.quality).toFixed(1)}" r="6" fill="none" stroke="${colour}" stroke-width="2"/>`,
      );
    const ly = m.top + 6 + k * 14;
    parts.push(
      `<line x1="${W - m.right - 110}" y1="${ly}" x2="${W - m.right - 94}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text class="legend" x="${W - m.right - 90}" y="${ly + 4}">${esc(s.name)}</text>`,
      '</g>',
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
