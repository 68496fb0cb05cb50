import type { Measured } from './frontier.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * A self-contained SVG scatter of quality against mean exit layer: every candidate, the Pareto frontier as
 * a line, the chosen setting ringed, the full model as a dashed line. No scripts, no external assets.
 */
export function tradeoffSvg<S>(options: {
  readonly title: string;
  readonly points: readonly Measured<S>[];
  readonly frontier: readonly Measured<S>[];
  readonly chosen?: Measured<S>;
  readonly reference: number;
  readonly layers: number;
  readonly qualityLabel: string;
}): string {
  const W = 560;
  const H = 360;
  const m = { left: 56, right: 16, top: 32, bottom: 44 };
  const qs = [...options.points.map((p) => p.quality), options.reference];
  const qMin = Math.max(0, Math.min(...qs) - 0.02);
  const qMax = Math.min(1, Math.max(...qs) + 0.02);
  const x = (layer: number) =>
    m.left + ((layer - 1) / Math.max(1, options.layers - 1)) * (W - m.left - m.right);
  const y = (q: number) => H - m.bottom - ((q - qMin) / Math.max(1e-9, qMax - qMin)) * (H - m.top - m.bottom);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<title>${esc(options.title)}</title><rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(options.title)}</text>`);
  parts.push(
    `<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#333"/>`,
  );
  parts.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="#333"/>`);
  for (let l = 1; l <= options.layers; l++)
    parts.push(`<text x="${x(l)}" y="${H - m.bottom + 14}" text-anchor="middle">${l}</text>`);
  for (let k = 0; k <= 4; k++) {
    const q = qMin + ((qMax - qMin) * k) / 4;
    parts.push(`<text x="${m.left - 6}" y="${y(q) + 4}" text-anchor="end">${(q * 100).toFixed(1)}%</text>`);
  }
  parts.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">mean exit layer</text>`);
  parts.push(
    `<text transform="translate(14 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(options.qualityLabel)}</text>`,
  );
  parts.push(
    `<line class="reference" x1="${m.left}" y1="${y(options.reference)}" x2="${W - m.right}" y2="${y(options.reference)}" stroke="#999" stroke-dasharray="4 3"/>`,
  );
  for (const p of options.points)
    parts.push(
      `<circle class="candidate" cx="${x(p.meanExitLayer).toFixed(1)}" cy="${y(p.quality).toFixed(1)}" r="2.5" fill="#8aa"/>`,
    );
  const path = options.frontier
    .map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p.meanExitLayer).toFixed(1)} ${y(p.quality).toFixed(1)}`)
    .join(' ');
  if (path) parts.push(`<path class="frontier" d="${path}" fill="none" stroke="#c33" stroke-width="1.5"/>`);
  if (options.chosen) {
    parts.push(
      `<circle class="chosen" cx="${x(options.chosen.meanExitLayer).toFixed(1)}" cy="${y(options.chosen.quality).toFixed(1)}" r="6" fill="none" stroke="#06c" stroke-width="2"/>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
