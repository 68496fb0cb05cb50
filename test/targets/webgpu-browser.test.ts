/**
 * The WebGPU targets in a real browser: onnxruntime-web in headless Debian Chromium on the SwiftShader
 * adapter, both entry points, WebGPU only with fallback disabled, compared with onnxruntime-node's CPU EP.
 * Needs `bash scripts/ci-setup-webgpu.sh`; without Chromium these tests fail and say so.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { type BrowserFeeds, openWebGpuBrowser, type WebGpuBrowser } from '../support/webgpu/browser.js';
import { loopModel, MLP_CLASSES, MLP_INPUT, mlpWithExitModel } from '../support/webgpu/models.js';
import { createCpuSession, runOnce } from '../support/webgpu/node-session.js';

const BATCH = 2;
const x = Array.from({ length: BATCH * MLP_INPUT }, (_, i) => Math.sin(i * 1.3) * 2);

// Opened by the first test that needs it, so that a missing Chromium fails every test with the fix
// instead of failing a hook and reporting the tests as skipped.
let opening: Promise<WebGpuBrowser> | undefined;
const browser = () => {
  opening ??= openWebGpuBrowser();
  return opening;
};
afterAll(async () => {
  await (await opening?.catch(() => undefined))?.close();
});

function browserFeeds(threshold: number): BrowserFeeds {
  return {
    x: { type: 'float32', dims: [BATCH, MLP_INPUT], data: x },
    threshold: { type: 'float32', dims: [], data: [threshold] },
  };
}

async function cpuReference(threshold: number) {
  return runOnce(await createCpuSession(mlpWithExitModel()), {
    x: new ort.Tensor('float32', Float32Array.from(x), [BATCH, MLP_INPUT]),
    threshold: new ort.Tensor('float32', Float32Array.of(threshold), []),
  });
}

describe('onnxruntime-web WebGPU in headless Chromium', () => {
  it('gets the SwiftShader WebGPU adapter', async () => {
    expect(await (await browser()).adapterInfo()).toMatchObject({ architecture: 'swiftshader' });
  });

  it.each(['webgpu', 'jsep'] as const)(
    'runs MLP + Softmax + If on the %s entry, matching the CPU EP',
    async (entry) => {
      for (const threshold of [0, 2]) {
        const expected = await cpuReference(threshold);
        const got = await (await browser()).run(mlpWithExitModel(), browserFeeds(threshold), { entry });
        for (const name of ['probs', 'out']) {
          expect(got[name]!.dims).toEqual([BATCH, MLP_CLASSES]);
          const want = expected[name]!.data as Float32Array;
          const worst = Math.max(...got[name]!.data.map((v, i) => Math.abs(v - want[i]!)));
          expect(worst).toBeLessThan(1e-5);
        }
      }
    },
  );

  it('refuses a Loop model on the native WebGPU entry with fallback disabled', async () => {
    const feeds: BrowserFeeds = {
      x: { type: 'float32', dims: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] },
      trips: { type: 'int64', dims: [], data: [2] },
    };
    await expect((await browser()).run(loopModel(), feeds, { entry: 'webgpu' })).rejects.toThrow(
      /fallback|CPU/i,
    );
    const lenient = await (await browser()).run(loopModel(), feeds, { entry: 'webgpu', strict: false });
    expect(lenient.total!.data).toEqual([6, 8, 10, 12]);
  });
});
