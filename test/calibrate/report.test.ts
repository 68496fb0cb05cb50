import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CalibrationResult,
  calibrate,
  calibrateModels,
  calibrationHtml,
  comparisonHtml,
} from '../../src/calibrate/index.js';
import { fixturePath } from '../support/encoder-fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'offramp-report-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const CHROMIUM = process.env.OFFRAMP_CHROMIUM ?? '/usr/bin/chromium';

describe('the calibration report', () => {
  it('renders its charts with data in headless Chromium', async () => {
    const result = await calibrate({
      file: resolve(import.meta.dirname, '../../dsl/examples/maxprob.ramp'),
      data: fixturePath('eval'),
      budget: 0.01,
      delta: 0.05,
      latency: { examples: 8, repeats: 2 },
    });
    const page = join(scratch, 'calibration.html');
    writeFileSync(page, calibrationHtml(result, 0.01));
    const browser = await launch();
    try {
      const tab = await browser.newPage();
      await tab.goto(`file://${page}`);
      await checkSingleReport(tab, result);
    } finally {
      await browser.close();
    }
  });

  it('compares every model of a file on one chart per cost axis', async () => {
    const file = join(scratch, 'two.ramp');
    const exits = `exits after 1..6 {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" {
      pooler: "pabee.pooler."
      linear: "pabee.classifier.{i}."
    }
  }`;
    writeFileSync(
      file,
      ['pabee { patience: 2 }', 'maxprob { threshold: 0.9 }', 'entropy { threshold: 0.5 }']
        .map(
          (policy, k) => `model m${k} {
  backbone "${fixturePath('backbone.onnx')}" { layers "/bert/encoder/layer.{i}/" }
  ${exits}
  policy ${policy}
}
`,
        )
        .join('\n'),
    );
    const results = await calibrateModels({
      file,
      data: fixturePath('eval'),
      budget: 0.01,
      latency: { examples: 8, repeats: 2 },
    });
    expect(results.map((r) => r.policy)).toEqual(['pabee', 'maxprob', 'entropy']);
    const page = join(scratch, 'comparison.html');
    writeFileSync(
      page,
      comparisonHtml(results, () => 0.01),
    );
    const browser = await launch();
    try {
      const tab = await browser.newPage();
      await tab.goto(`file://${page}`);
      for (const chart of ['#comparison', '#comparison-latency']) {
        const series = tab.locator(`${chart} g.series`);
        expect(await series.count()).toBe(3);
        expect(await tab.locator(`${chart} text.legend`).allTextContents()).toEqual([
          'pabee (m0)',
          'maxprob (m1)',
          'entropy (m2)',
        ]);
        // Each policy's frontier is drawn through its own settings, in its own colour.
        const colours = await tab
          .locator(`${chart} path.frontier`)
          .evaluateAll((ps) => ps.map((p) => p.getAttribute('stroke')));
        expect(new Set(colours).size).toBe(3);
      }
      for (const [k, r] of results.entries()) {
        const d = await tab.locator('#comparison g.series path.frontier').nth(k).getAttribute('d');
        expect((d ?? '').split(/[ML]/).length - 1).toBe(r.frontier.length);
        // Each model keeps its own full section under its own ids.
        expect(await tab.locator(`#m${k}-tradeoff circle.candidate`).count()).toBe(r.points.length);
        expect(await tab.locator(`#m${k}-frontier tbody tr`).count()).toBe(r.frontier.length);
      }
      expect(await tab.locator('#summary tbody tr').count()).toBe(3);
      expect(await tab.locator('#comparison circle.chosen').count()).toBe(
        results.filter((r) => r.chosen).length,
      );
    } finally {
      await browser.close();
    }
  }, 120_000);
});

function launch() {
  return chromium
    .launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    })
    .catch((error: Error) => {
      throw new Error(`cannot start ${CHROMIUM} (run bash scripts/ci-setup-webgpu.sh): ${error.message}`);
    });
}

async function checkSingleReport(tab: Page, result: CalibrationResult): Promise<void> {
  expect(await tab.locator('#tradeoff circle.candidate').count()).toBe(result.points.length);
  const frontier = await tab.locator('#tradeoff path.frontier').getAttribute('d');
  expect((frontier ?? '').split('L').length).toBe(result.frontier.length);
  expect(await tab.locator('#tradeoff circle.chosen').count()).toBe(1);
  expect(await tab.locator('#exit-quality rect.exit-quality').count()).toBe(result.exitLayers!.length);
  // Bars are drawn to scale: the tallest histogram bar is the most common exit layer.
  const heights = await tab
    .locator('#histogram rect.exit-histogram')
    .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
  expect(heights).toHaveLength(result.layers!);
  const mostCommon = result.chosenHistogram!.indexOf(Math.max(...result.chosenHistogram!));
  expect(heights.indexOf(Math.max(...heights))).toBe(mostCommon);
  expect(await tab.locator('#frontier tbody tr').count()).toBe(result.frontier.length);
  // Quality against measured latency: every candidate again, the backbone's latency as a vertical line.
  expect(await tab.locator('#tradeoff-latency circle.candidate').count()).toBe(result.points.length);
  expect(await tab.locator('#tradeoff-latency line.baseline').count()).toBe(1);
  const xs = await tab
    .locator('#tradeoff-latency circle.candidate')
    .evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('cx'))));
  const slowest = result.points.reduce(
    (a, p, k) => (p.meanLatencyMs! > result.points[a]!.meanLatencyMs! ? k : a),
    0,
  );
  expect(xs[slowest]).toBe(Math.max(...xs));
  // Cost per segment: one bar per segment, drawn to scale, and the table beside it.
  const segments = result.latency!.segments;
  const bars = await tab
    .locator('#segment-cost rect.segment-cost')
    .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
  expect(bars).toHaveLength(segments.length);
  const costliest = segments.reduce((a, s, k) => (s.ms > segments[a]!.ms ? k : a), 0);
  expect(bars[costliest]).toBe(Math.max(...bars));
  expect(await tab.locator('#segments tbody tr').count()).toBe(segments.length);
  expect(await tab.locator('#guarantee').textContent()).toMatch(/With a guarantee \(δ = 0\.05\)/);
}
