import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import {
  type CalibrationResult,
  calibrateModels,
  calibrationHtml,
  comparisonCharts,
  comparisonHtml,
  flopsText,
  policyCharts,
} from '../../calibrate/index.js';
import { diagnostic } from '../../diagnostics/index.js';
import { writeFileAtomic } from '../../io/index.js';
import type { Manifest } from '../../runtime/manifest.js';
import { ExitCode } from '../exit-codes.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

export interface CalibrateCommandOptions extends OutputOptions {
  /** Default: the model's `calibration { dataset }`. */
  readonly data?: string;
  /** Default: the model's `calibration { accuracy_budget }`, else 1%. */
  readonly budget?: string;
  readonly artifact?: string;
  readonly report?: string;
  readonly model?: string;
  readonly delta?: string;
}

/** "1%" → 0.01, "0.01" → 0.01. */
function parseBudget(text: string): number | undefined {
  const v = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  return Number.isFinite(v) && v >= 0 && v <= 1 ? v : undefined;
}

const describe = (s: Readonly<Record<string, number | readonly number[]>>) =>
  Object.entries(s)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? v : `[${v.join(', ')}]`}`)
    .join(', ') || '(no parameters)';

function markdown(r: CalibrationResult, budget: number): string {
  const pct = (q: number) => `${(q * 100).toFixed(2)}%`;
  const lat = r.latency;
  const costText = (p: { meanLatencyMs?: number; meanFlops?: number }) =>
    lat && p.meanLatencyMs !== undefined
      ? `, ${p.meanLatencyMs.toFixed(3)} ms and ${flopsText(p.meanFlops ?? 0)}FLOPs per example (backbone ${lat.backboneMs.toFixed(3)} ms: ${(lat.backboneMs / p.meanLatencyMs).toFixed(2)}x)`
      : '';
  const latencyColumns = lat ? ' mean latency | mean FLOPs | speed-up vs backbone |' : '';
  let cumulative = 0;
  const lines = [
    `# Calibration of ${r.model} (${r.policy})`,
    '',
    `${r.examples} examples; quality = ${r.qualityKind}; full model ${pct(r.reference!)}; budget ${pct(budget)}.`,
    '',
    r.chosen
      ? `**Chosen:** ${describe(r.chosen.setting)}: ${pct(r.chosen.quality)}, mean exit layer ${r.chosen.meanExitLayer.toFixed(2)} of ${r.layers} (ideal speed-up ${(r.layers! / r.chosen.meanExitLayer).toFixed(2)}x)${costText(r.chosen)}.`
      : '**No setting stays within the budget.**',
    '',
    `Per-exit quality: ${(r.exitQuality ?? []).map(pct).join(', ')}`,
    '',
    `| setting | quality | mean exit layer | ideal speed-up |${latencyColumns}`,
    `|---|---|---|---|${lat ? '---|---|---|' : ''}`,
    ...r.frontier.map(
      (p) =>
        `| ${describe(p.setting)} | ${pct(p.quality)} | ${p.meanExitLayer.toFixed(2)} | ${(r.layers! / p.meanExitLayer).toFixed(2)}x |${
          lat && p.meanLatencyMs !== undefined
            ? ` ${p.meanLatencyMs.toFixed(3)} ms | ${flopsText(p.meanFlops ?? 0)} | ${(lat.backboneMs / p.meanLatencyMs).toFixed(2)}x |`
            : ''
        }`,
    ),
    '',
    `The table is the Pareto frontier; \`tradeoff.svg\` plots every candidate${lat ? ', `tradeoff-latency.svg` against measured latency' : ''}.`,
    '',
    ...(lat
      ? [
          `Cost per segment (segmented form, batch 1, ${lat.threads} thread(s), median of ${lat.repeats} passes over ${lat.examples} examples, sequence ${lat.sequence}); the backbone as given: ${lat.backboneMs.toFixed(3)} ms, ${flopsText(lat.backboneFlops)}FLOPs.`,
          '',
          '| segment | latency | FLOPs | cumulative latency |',
          '|---|---|---|---|',
          ...lat.segments.map((s, k) => {
            cumulative += s.ms;
            const from = k === 0 ? 1 : lat.segments[k - 1]!.exitLayer + 1;
            return `| layers ${from}-${s.exitLayer} + exit ${s.exitLayer} | ${s.ms.toFixed(3)} ms | ${flopsText(s.flops)} | ${cumulative.toFixed(3)} ms |`;
          }),
          '',
        ]
      : r.latencyError
        ? [`No latency model: ${r.latencyError}`, '']
        : []),
    ...(r.riskControl
      ? [
          `**With a guarantee (δ = ${r.riskControl.delta}):** ${
            r.riskControl.chosen
              ? `${describe(r.riskControl.chosen.setting)}: ${pct(r.riskControl.chosen.quality)}, mean exit layer ${r.riskControl.chosen.meanExitLayer.toFixed(2)}${costText(r.riskControl.chosen)}`
              : 'no setting could be certified'
          }; the loss stays within ${pct(r.riskControl.epsilon)} with probability ≥ ${pct(1 - r.riskControl.delta)} (Learn-then-Test on ${r.riskControl.tested} held-out examples, ${r.riskControl.tests.filter((t) => t.rejected).length} of ${r.riskControl.tests.length} tested settings certified).`,
          '',
        ]
      : []),
  ];
  return lines.join('\n');
}

/** `offramp calibrate FILE --data DIR --budget 1%`: choose policy parameters for an accuracy budget. */
export async function calibrateCommand(file: string, options: CalibrateCommandOptions): Promise<number> {
  const given = options.budget === undefined ? undefined : parseBudget(options.budget);
  if (options.budget !== undefined && given === undefined) {
    const d = [
      diagnostic('OR7003', {
        file: options.budget!,
        reason: 'the budget is a fraction or a percentage, e.g. 0.01 or 1%',
      }),
    ];
    if (options.json) printJson('calibrate', d, null);
    printDiagnostics(d, options);
    return ExitCode.usage;
  }
  const delta = options.delta === undefined ? undefined : Number(options.delta);
  if (delta !== undefined && !(delta > 0 && delta < 1)) {
    const d = [
      diagnostic('OR7003', {
        file: options.delta!,
        reason: '--delta is a probability strictly between 0 and 1, e.g. 0.05',
      }),
    ];
    if (options.json) printJson('calibrate', d, null);
    printDiagnostics(d, options);
    return ExitCode.usage;
  }
  // Progress bars only for people: not in CI, not when output is piped or machine-read.
  const interactive = Boolean(process.stderr.isTTY) && !process.env.CI && !options.json;
  const bar = interactive
    ? new SingleBar({ format: 'recording exits [{bar}] {value}/{total}', stream: process.stderr })
    : undefined;
  let started = false;
  const results = await calibrateModels({
    file,
    ...(options.data !== undefined ? { data: options.data } : {}),
    ...(given !== undefined ? { budget: given } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(delta !== undefined ? { delta } : {}),
    onProgress: (done, total) => {
      if (!bar) return;
      if (!started) bar.start(total, 0);
      else if (done === 1) bar.setTotal(total);
      started = true;
      bar.update(done);
    },
  });
  bar?.stop();
  const diagnostics = results.flatMap((r) => r.diagnostics);
  const budgetOf = (r: CalibrationResult) => r.budget ?? given ?? 0.01;
  const ok = results.every((r) => r.reference !== undefined);
  if (ok && options.artifact) {
    for (const result of results) {
      // With --delta, the certified setting is what goes into the artifact.
      const written = options.delta !== undefined ? result.riskControl?.chosen : result.chosen;
      if (!written) continue;
      // One model: the artifact itself; several: the compile output folder holding <model>/.
      const path =
        results.length === 1
          ? join(options.artifact, 'manifest.json')
          : join(options.artifact, result.model!, 'manifest.json');
      if (!existsSync(path)) {
        diagnostics.push(
          diagnostic('OR7003', {
            file: path,
            reason: `no compiled artifact of model '${result.model}' there (compile the file with --out ${options.artifact})`,
          }),
        );
        continue;
      }
      const manifest = JSON.parse(await readFile(path, 'utf8')) as Manifest;
      const updated: Manifest = {
        ...manifest,
        policy: {
          ...manifest.policy,
          parameters: manifest.policy.parameters.map((p) => ({
            ...p,
            default: written.setting[p.name] ?? p.default,
          })),
        },
      };
      await writeFileAtomic(path, `${JSON.stringify(updated, null, 2)}\n`);
    }
  }
  if (ok && options.report) await writeReport(options.report, results, budgetOf);
  const summaries = results.map((result) => ({
    model: result.model,
    policy: result.policy,
    data: result.data,
    budget: result.budget,
    qualityKind: result.qualityKind,
    reference: result.reference,
    chosen: result.chosen,
    frontier: result.frontier,
    candidates: result.points.length,
    exitQuality: result.exitQuality,
    ...(result.latency ? { latency: result.latency } : {}),
    ...(result.riskControl
      ? {
          riskControl: {
            delta: result.riskControl.delta,
            epsilon: result.riskControl.epsilon,
            tested: result.riskControl.tested,
            chosen: result.riskControl.chosen,
          },
        }
      : {}),
  }));
  // The first (or only) model's fields at the top, every model's under `models`.
  if (options.json) printJson('calibrate', diagnostics, { ...summaries[0], models: summaries });
  const code = printDiagnostics(diagnostics, options);
  if (!options.json && ok) {
    if (results.length > 1) process.stdout.write(`${summaryMarkdown(results, budgetOf)}\n`);
    for (const r of results) process.stdout.write(markdown(r, budgetOf(r)));
  }
  return code;
}

/** One row per calibrated model: what its policy chose. */
function summaryMarkdown(
  results: readonly CalibrationResult[],
  budgetOf: (r: CalibrationResult) => number,
): string {
  const pct = (q: number) => `${(q * 100).toFixed(2)}%`;
  return [
    '# Calibration: every policy of the file',
    '',
    '| policy (model) | chosen setting | quality (full model) | mean exit layer | ideal speed-up | speed-up (latency model) |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => {
      const c = r.chosen;
      if (!c) return `| ${r.policy} (${r.model}) | none within ${pct(budgetOf(r))} | | | | |`;
      const speed =
        r.latency && c.meanLatencyMs !== undefined
          ? `${(r.latency.backboneMs / c.meanLatencyMs).toFixed(2)}x`
          : '';
      return `| ${r.policy} (${r.model}) | ${describe(c.setting)} | ${pct(c.quality)} (${pct(r.reference!)}) | ${c.meanExitLayer.toFixed(2)} | ${(r.layers! / c.meanExitLayer).toFixed(2)}x | ${speed} |`;
    }),
    '',
    'Trade-offs of every policy on one chart: `tradeoff.svg` (mean exit layer), `tradeoff-latency.svg` (measured latency).',
    '',
  ].join('\n');
}

/** calibration.html / .md and the SVG charts: one model's report, or every model's compared. */
async function writeReport(
  dir: string,
  results: readonly CalibrationResult[],
  budgetOf: (r: CalibrationResult) => number,
): Promise<void> {
  const single = results.length === 1;
  const md = results.map((r) => markdown(r, budgetOf(r))).join('\n');
  await writeFileAtomic(
    join(dir, 'calibration.md'),
    single ? md : `${summaryMarkdown(results, budgetOf)}\n${md}`,
  );
  await writeFileAtomic(
    join(dir, 'calibration.html'),
    single ? calibrationHtml(results[0]!, budgetOf(results[0]!)) : comparisonHtml(results, budgetOf),
  );
  for (const result of results) {
    const suffix = single ? '' : `-${result.model}`;
    const charts = policyCharts(result);
    await writeFileAtomic(join(dir, `tradeoff${suffix}.svg`), charts.layer);
    if (charts.latency) await writeFileAtomic(join(dir, `tradeoff-latency${suffix}.svg`), charts.latency);
  }
  if (single) return;
  const compared = comparisonCharts(results);
  await writeFileAtomic(join(dir, 'tradeoff.svg'), compared.layer);
  if (compared.latency) await writeFileAtomic(join(dir, 'tradeoff-latency.svg'), compared.latency);
}
