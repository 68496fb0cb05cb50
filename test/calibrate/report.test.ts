import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrate, calibrationHtml } from '../../src/calibrate/index.js';
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
    });
    const page = join(scratch, 'calibration.html');
    writeFileSync(page, calibrationHtml(result, 0.01));
    const browser = await chromium
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
    try {
      const tab = await browser.newPage();
      await tab.goto(`file://${page}`);
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
      expect(await tab.locator('table tbody tr').count()).toBe(result.frontier.length);
    } finally {
      await browser.close();
    }
  });
});
