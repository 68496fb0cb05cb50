import type { CalibrationResult } from './calibrate.js';
import { paretoFrontier } from './frontier.js';
import { tradeoffSvg } from './svg.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const pct = (q: number) => `${(q * 100).toFixed(2)}%`;
/** FLOPs as `12.3 M` / `4.56 G`. */
export const flopsText = (f: number) =>
  f >= 1e9
    ? `${(f / 1e9).toFixed(2)} G`
    : f >= 1e6
      ? `${(f / 1e6).toFixed(1)} M`
      : `${(f / 1e3).toFixed(1)} k`;
const describe = (s: Readonly<Record<string, number | readonly number[]>>) =>
  Object.entries(s)
    .map(
      ([k, v]) =>
        `${k} ${typeof v === 'number' ? Number(v.toFixed(4)) : `[${v.map((x) => Number(x.toFixed(4))).join(', ')}]`}`,
    )
    .join(', ') || '(no parameters)';

/** A bar chart as inline SVG: one bar per label, with the value printed above it. */
export function barsSvg(options: {
  title: string;
  labels: readonly string[];
  values: readonly number[];
  format: (v: number) => string;
  className: string;
}): string {
  const W = 560;
  const H = 240;
  const m = { left: 40, right: 12, top: 32, bottom: 36 };
  const max = Math.max(1e-9, ...options.values);
  const slot = (W - m.left - m.right) / Math.max(1, options.values.length);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(options.title)}</title><rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(options.title)}</text>`,
    `<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#333"/>`,
  ];
  options.values.forEach((v, k) => {
    const h = (v / max) * (H - m.top - m.bottom - 14);
    const x = m.left + k * slot + slot * 0.15;
    parts.push(
      `<rect class="${options.className}" x="${x.toFixed(1)}" y="${(H - m.bottom - h).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="#4a7ab0"/>`,
    );
    parts.push(
      `<text x="${(x + slot * 0.35).toFixed(1)}" y="${(H - m.bottom - h - 4).toFixed(1)}" text-anchor="middle">${esc(options.format(v))}</text>`,
    );
    parts.push(
      `<text x="${(x + slot * 0.35).toFixed(1)}" y="${H - m.bottom + 14}" text-anchor="middle">${esc(options.labels[k] ?? '')}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The calibration report as one self-contained HTML page (inline SVG charts, no scripts, no assets). */
export function calibrationHtml(r: CalibrationResult, budget: number): string {
  const layers = r.layers ?? 0;
  const tradeoff = tradeoffSvg({
    title: `${r.policy}: ${r.qualityKind} vs mean exit layer`,
    points: r.points,
    frontier: r.frontier,
    ...(r.chosen ? { chosen: r.chosen } : {}),
    reference: r.reference ?? 0,
    layers,
    qualityLabel: r.qualityKind ?? 'quality',
  });
  const exitQuality = barsSvg({
    title: `per-exit head ${r.qualityKind}`,
    labels: (r.exitLayers ?? []).map((l) => `L${l}`),
    values: r.exitQuality ?? [],
    format: pct,
    className: 'exit-quality',
  });
  const histogram = r.chosenHistogram
    ? barsSvg({
        title: 'exits per layer at the chosen setting',
        labels: r.chosenHistogram.map((_, k) => `L${k + 1}`),
        values: r.chosenHistogram,
        format: (v) => String(v),
        className: 'exit-histogram',
      })
    : '<p>No setting stays within the budget, so there is no histogram.</p>';
  const lat = r.latency;
  const latencyChart = lat
    ? tradeoffSvg({
        title: `${r.policy}: ${r.qualityKind} vs measured latency`,
        points: r.points,
        frontier: paretoFrontier(r.points, (p) => p.meanLatencyMs ?? 0),
        ...(r.chosen ? { chosen: r.chosen } : {}),
        reference: r.reference ?? 0,
        layers,
        qualityLabel: r.qualityKind ?? 'quality',
        axis: 'latency',
        baselineMs: lat.backboneMs,
      })
    : `<p>No latency model${r.latencyError ? `: ${esc(r.latencyError)}` : ''}.</p>`;
  const segmentChart = lat
    ? barsSvg({
        title: 'latency per segment (ms, batch 1, median)',
        labels: lat.segments.map(
          (s, k) => `${k === 0 ? 1 : lat.segments[k - 1]!.exitLayer + 1}→${s.exitLayer}`,
        ),
        values: lat.segments.map((s) => s.ms),
        format: (v) => v.toFixed(3),
        className: 'segment-cost',
      })
    : '';
  let cumulativeMs = 0;
  let cumulativeFlops = 0;
  const segmentRows = (lat?.segments ?? [])
    .map((s, k) => {
      cumulativeMs += s.ms;
      cumulativeFlops += s.flops;
      const from = k === 0 ? 1 : lat!.segments[k - 1]!.exitLayer + 1;
      return `<tr><td>layers ${from}–${s.exitLayer} + exit ${s.exitLayer}</td><td>${s.ms.toFixed(3)} ms</td><td>${flopsText(s.flops)}</td><td>${cumulativeMs.toFixed(3)} ms</td><td>${flopsText(cumulativeFlops)}</td></tr>`;
    })
    .join('\n');
  const latencyCells = (p: (typeof r.points)[number]) =>
    lat && p.meanLatencyMs !== undefined
      ? `<td>${p.meanLatencyMs.toFixed(3)} ms</td><td>${flopsText(p.meanFlops ?? 0)}</td><td>${(lat.backboneMs / p.meanLatencyMs).toFixed(2)}x</td>`
      : '';
  const rows = r.frontier
    .map(
      (p) =>
        `<tr><td>${esc(describe(p.setting))}</td><td>${pct(p.quality)}</td><td>${p.meanExitLayer.toFixed(2)}</td><td>${(layers / p.meanExitLayer).toFixed(2)}x</td>${latencyCells(p)}</tr>`,
    )
    .join('\n');
  const rc = r.riskControl;
  const guarantee = rc
    ? `<p id="guarantee">With a guarantee (δ = ${rc.delta}): ${
        rc.chosen
          ? `<b>${esc(describe(rc.chosen.setting))}</b>, ${pct(rc.chosen.quality)} at mean exit layer ${rc.chosen.meanExitLayer.toFixed(2)}`
          : 'no setting could be certified'
      }; the loss stays within ${pct(rc.epsilon)} with probability ≥ ${pct(1 - rc.delta)} (Learn-then-Test on ${rc.tested} held-out examples; ${rc.tests.filter((t) => t.rejected).length} of ${rc.tests.length} tested settings certified).</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Calibration of ${esc(r.model ?? '')}</title>
<!-- Generated by Offramp. Do not edit. -->
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}figure{margin:1em 0}</style>
</head><body>
<h1>Calibration of ${esc(r.model ?? '')} (${esc(r.policy ?? '')})</h1>
<p>${r.examples} examples; quality is ${esc(r.qualityKind ?? '')}; the full model reaches ${pct(r.reference ?? 0)}; budget ${pct(budget)}.</p>
<p id="chosen">${r.chosen ? `Chosen: <b>${esc(describe(r.chosen.setting))}</b>, ${pct(r.chosen.quality)} at mean exit layer ${r.chosen.meanExitLayer.toFixed(2)} of ${layers} (ideal speed-up ${(layers / r.chosen.meanExitLayer).toFixed(2)}x).` : 'No setting stays within the budget.'}</p>
${guarantee}
<figure id="tradeoff">${tradeoff}</figure>
<figure id="tradeoff-latency">${latencyChart}</figure>
<figure id="exit-quality">${exitQuality}</figure>
<figure id="histogram">${histogram}</figure>
<h2>Pareto frontier</h2>
<table id="frontier"><thead><tr><th>setting</th><th>${esc(r.qualityKind ?? '')}</th><th>mean exit layer</th><th>ideal speed-up</th>${lat ? '<th>mean latency</th><th>mean FLOPs</th><th>speed-up vs backbone</th>' : ''}</tr></thead><tbody>
${rows}
</tbody></table>
${
  lat
    ? `<h2>Cost per segment</h2>
<p>The segmented form timed on this machine: batch 1, ${lat.threads} thread${lat.threads === 1 ? '' : 's'}, median of ${lat.repeats} passes over ${lat.examples} examples at sequence length ${lat.sequence}. A sample that exits at an exit pays every segment up to it. The backbone as given, timed in the same loop: ${lat.backboneMs.toFixed(3)} ms, ${flopsText(lat.backboneFlops)}FLOPs.</p>
<figure id="segment-cost">${segmentChart}</figure>
<table id="segments"><thead><tr><th>segment</th><th>latency</th><th>FLOPs</th><th>cumulative latency</th><th>cumulative FLOPs</th></tr></thead><tbody>
${segmentRows}
</tbody></table>`
    : ''
}
</body></html>
`;
}
