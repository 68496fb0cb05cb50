/**
 * onnxruntime-web on WebGPU in headless Debian Chromium (SwiftShader adapter), driven by playwright-core
 * with the system browser (no browser download). The page and onnxruntime-web's dist files come from a
 * loopback HTTP server on an ephemeral port. Sessions use `executionProviders: ['webgpu']` alone with
 * CPU fallback disabled, so a result proves the model ran on WebGPU.
 *
 *   entry 'webgpu' → `onnxruntime-web/webgpu` (ort.webgpu.min.mjs): the native C++ WebGPU EP in wasm
 *   entry 'jsep'   → `onnxruntime-web` default (ort.all.min.mjs has the same JSEP build): the JS EP
 *
 * Flags follow /work/shared/research/webgpu-probe.md: `--enable-unsafe-webgpu` is the one that matters;
 * never add `--enable-features=Vulkan` (with ANGLE-SwiftShader it hangs requestAdapter).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { onnxruntimeWebDir } from './ort-web.js';
import { SETUP_HINT } from './vulkan.js';

export type BrowserEntry = 'webgpu' | 'jsep';

export const CHROMIUM_PATH = process.env.OFFRAMP_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

const BUNDLES: Readonly<Record<BrowserEntry, string>> = {
  webgpu: 'ort.webgpu.min.mjs',
  jsep: 'ort.all.min.mjs',
};

/** A tensor as it crosses into the page: plain arrays, since typed arrays do not survive serialization. */
export interface BrowserTensor {
  readonly type: 'float32' | 'int32' | 'int64' | 'bool';
  readonly dims: readonly number[];
  readonly data: readonly number[];
}

export type BrowserFeeds = Readonly<Record<string, BrowserTensor>>;
export type BrowserOutputs = Record<string, BrowserTensor>;

export interface BrowserRunOptions {
  readonly entry: BrowserEntry;
  /** Default true: create the session with CPU (wasm) fallback disabled. */
  readonly strict?: boolean;
}

export interface WebGpuBrowser {
  /** The adapter the page got, e.g. `{ vendor: 'google', architecture: 'swiftshader' }`. */
  adapterInfo(): Promise<Record<string, unknown>>;
  run(model: Uint8Array, feeds: BrowserFeeds, options: BrowserRunOptions): Promise<BrowserOutputs>;
  close(): Promise<void>;
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>offramp webgpu</title>';

const MIME: Readonly<Record<string, string>> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
};

/** Serves the blank page and `/dist/*` on 127.0.0.1 with cross-origin isolation headers. */
async function startServer(distDir: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
      return;
    }
    const relative = normalize(path.replace(/^\/dist\//, '')).replace(/^(\.\.(\/|$))+/, '');
    const file = join(distDir, relative);
    if (!path.startsWith('/dist/') || !file.startsWith(distDir) || !existsSync(file)) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(await readFile(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Launches Chromium with a fresh profile and the local server; call `close()` when done. */
export async function openWebGpuBrowser(): Promise<WebGpuBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is missing (${CHROMIUM_PATH}): ${SETUP_HINT}`);
  const server = await startServer(join(onnxruntimeWebDir(), 'dist'));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profileDir = await mkdtemp(join(tmpdir(), 'offramp-chromium-'));
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close().catch(() => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(profileDir, { recursive: true, force: true });
  };
  try {
    context = await withTimeout(
      chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: CHROMIUM_ARGS,
        timeout: 30_000,
      }),
      40_000,
      'launching Chromium',
    );
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(60_000);
    await page.goto(`${origin}/`);
    const adapter = await withTimeout(
      page.evaluate(ADAPTER_IN_PAGE) as Promise<Record<string, unknown> | null>,
      30_000,
      'navigator.gpu.requestAdapter()',
    );
    if (!adapter) throw new Error('Chromium offers no WebGPU adapter (is --enable-unsafe-webgpu set?)');

    return {
      adapterInfo: async () => adapter,
      close,
      run: async (model, feeds, options) => {
        // A fresh page per run: each onnxruntime-web bundle owns one wasm instance per page.
        const runPage = await context!.newPage();
        try {
          await runPage.goto(`${origin}/`);
          return await withTimeout(
            runPage.evaluate(
              `(${RUN_IN_PAGE})(${JSON.stringify({
                bundle: `/dist/${BUNDLES[options.entry]}`,
                model: Array.from(model),
                feeds,
                strict: options.strict !== false,
              })})`,
            ) as Promise<BrowserOutputs>,
            90_000,
            `onnxruntime-web (${options.entry}) session`,
          );
        } finally {
          await runPage.close();
        }
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The adapter the page gets, or null. Plain JavaScript, like RUN_IN_PAGE below. */
const ADAPTER_IN_PAGE = `(async () => {
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  if (!adapter) return null;
  const info = adapter.info || {};
  return { vendor: info.vendor, architecture: info.architecture, isFallbackAdapter: info.isFallbackAdapter };
})()`;

/**
 * The page-side runner, kept as plain JavaScript source: Playwright serializes functions by their
 * text, and a test runner's transform (vitest rewrites `import()`) would break a TypeScript function.
 */
const RUN_IN_PAGE = `async ({ bundle, model, feeds, strict }) => {
  const ort = await import(bundle);
  ort.env.wasm.wasmPaths = '/dist/';
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(new Uint8Array(model), {
    executionProviders: ['webgpu'],
    extra: { session: { disable_cpu_ep_fallback: strict ? '1' : '0' } },
  });
  const make = { float32: Float32Array, int32: Int32Array, bool: Uint8Array };
  const inputs = {};
  for (const [name, t] of Object.entries(feeds)) {
    const data = t.type === 'int64' ? BigInt64Array.from(t.data.map((v) => BigInt(v))) : make[t.type].from(t.data);
    inputs[name] = new ort.Tensor(t.type, data, t.dims);
  }
  const results = await session.run(inputs);
  const outputs = {};
  for (const [name, tensor] of Object.entries(results)) {
    outputs[name] = { type: tensor.type, dims: [...tensor.dims], data: Array.from(tensor.data, (v) => Number(v)) };
  }
  await session.release();
  return outputs;
}`;

/** One-shot: launch, run one model, close. Prefer `openWebGpuBrowser` for several models. */
export async function runInBrowser(
  model: Uint8Array,
  feeds: BrowserFeeds,
  options: BrowserRunOptions,
): Promise<BrowserOutputs> {
  const browser = await openWebGpuBrowser();
  try {
    return await browser.run(model, feeds, options);
  } finally {
    await browser.close();
  }
}
