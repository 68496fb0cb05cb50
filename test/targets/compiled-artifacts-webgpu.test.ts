/**
 * `offramp compile` output for the webgpu target, end to end, for every example of dsl/examples that
 * compiles for WebGPU (mamba.ramp is refused there, with the nodes named: test/passes/compile-mamba.test.ts;
 * the Mamba LM examples too, their scan being a Loop the WebGPU EP has no kernel for: the last test below):
 *
 * - each example compiled with `target cpu` and `target webgpu` (the declared form: pabee and margin are
 *   segmented, which also gets the chain form), loaded through the runtime (`CompiledModel`,
 *   `SegmentedModel`, `DecoderModel`, which feed the target's `feedTypes`) on onnxruntime-node's WebGPU EP
 *   with CPU fallback disabled, against the same artifact's CPU model on the fixture's eval data: exit layers
 *   and predictions (tokens for the decoder) equal, logits within 1e-3;
 * - the manifest says every node is on the device (no host shape nodes left), and onnxruntime's profile of
 *   the runs agrees: every node it ran, shape computations included, ran on the WebGPU EP;
 * - compiling twice gives byte-identical files, and the CPU model is byte for byte the one a cpu-only
 *   compile writes (legalization works on copies);
 * - two examples' WebGPU models in headless Chromium (onnxruntime-web's native WebGPU entry, strict).
 *
 * Needs `bash scripts/ci-setup-webgpu.sh` (SwiftShader Vulkan, Chromium).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { parseNpy } from '../../src/io/index.js';
import {
  CompiledModel,
  DecoderModel,
  type ExitOutputs,
  int64Tensor,
  SegmentedModel,
} from '../../src/runtime/index.js';
import type { ArtifactTarget, Manifest } from '../../src/runtime/manifest.js';
import { loadEncoderFixture } from '../support/encoder-fixture.js';
import { type BrowserFeeds, openWebGpuBrowser, type WebGpuBrowser } from '../support/webgpu/browser.js';
import { nodesOffWebGpu } from '../support/webgpu/node-session.js';
import { useSwiftShaderVulkan } from '../support/webgpu/vulkan.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLES_DIR = join(ROOT, 'dsl/examples');
/** Eval passages per encoder example. */
const BATCH = 64;
/** Decoder: prompts × new tokens (64 token-level exit decisions). */
const PROMPTS = 4;
const NEW_TOKENS = 16;
/** Settings under which the 64 passages exit at different layers (the others do with their defaults). */
const PARAMS: Readonly<Record<string, Record<string, number>>> = {
  'maxprob.ramp': { threshold: 0.42 },
  'entropy.ramp': { threshold: 0.8 },
};
const STRICT = {
  target: 'webgpu',
  executionProviders: ['webgpu'],
  sessionConfig: { disable_cpu_ep_fallback: '1' },
} as const;

/** Examples on the Mamba LM fixture: one scripted Loop scan per block, which WebGPU cannot run on the device. */
const LOOP_SCANS = ['dynamax.ramp', 'mamba-decoder.ramp'];
const examples = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.ramp') && f !== 'mamba.ramp' && !LOOP_SCANS.includes(f))
  .sort();
const outDir = mkdtempSync(join(tmpdir(), 'offramp-webgpu-artifacts-'));
const profiles = mkdtempSync(join(tmpdir(), 'offramp-webgpu-profiles-'));
useSwiftShaderVulkan();

/** The example with `target cpu` and `target webgpu` (in the form it declares for webgpu, else chain). */
function withWebGpu(source: string): string {
  const declared = /^ {2}target webgpu.*$/m.exec(source)?.[0] ?? '  target webgpu';
  const stripped = source.replace(/^ {2}target .*$\n/gm, '');
  return stripped.replace(/\n}\n?$/, `\n  target cpu\n${declared}\n}\n`);
}

async function compileExample(file: string, source: string, dryRun = false) {
  const result = await compile({ file: join(EXAMPLES_DIR, file), source, outDir, dryRun });
  expect(
    result.diagnostics.filter((d) => d.severity === 'error' || d.code.startsWith('OR6')),
    formatDiagnostics(result.diagnostics),
  ).toEqual([]);
  return result.artifacts[0]!;
}

function webgpuTargets(dir: string): ArtifactTarget[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return manifest.targets.filter((t) => t.target === 'webgpu');
}

function evalInputs(start = 0) {
  const f = loadEncoderFixture();
  const t = f.sequence;
  return {
    input_ids: int64Tensor(f.inputIds.slice(start * t, (start + BATCH) * t), [BATCH, t]),
    attention_mask: int64Tensor(f.attentionMask.slice(start * t, (start + BATCH) * t), [BATCH, t]),
  };
}

function expectSameDecisions(got: ExitOutputs, want: ExitOutputs) {
  expect([...got.exitLayer]).toEqual([...want.exitLayer]);
  expect([...got.predictions]).toEqual([...want.predictions]);
  const worst = Math.max(...got.logits.map((v, i) => Math.abs(v - want.logits[i]!)));
  expect(worst).toBeLessThan(1e-3);
}

describe.each(examples)('%s compiled for webgpu', (file) => {
  const source = withWebGpu(readFileSync(join(EXAMPLES_DIR, file), 'utf8'));
  const isDecoder = source.includes('decode {');

  it('is placed on the device entirely, deterministic, and leaves the CPU model as a cpu-only compile writes it', async () => {
    const artifact = await compileExample(file, source);
    const targets = webgpuTargets(artifact.directory);
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) {
      expect(t.placement).toEqual({ allOnDevice: true, hostNodes: [] });
      expect(t.sessionOptions).toEqual({ extra: { session: { disable_cpu_ep_fallback: '1' } } });
      expect(t.models.every((m) => m.includes('.webgpu.'))).toBe(true);
      // int64 ids reach the WebGPU model as int32; the manifest records what each input takes.
      expect(t.feedTypes?.input_ids).toBe('int32');
      if (t.form === 'chain') expect(t.outputTypes?.exit_layer).toBe('int64');
    }
    const again = await compileExample(file, source, true);
    expect(again.files.map((f) => f.path)).toEqual(artifact.files.map((f) => f.path));
    for (const [k, f] of artifact.files.entries())
      expect(Buffer.from(again.files[k]!.contents).equals(Buffer.from(f.contents)), f.path).toBe(true);
    const cpuOnly = await compileExample(file, source.replace(/^ {2}target webgpu.*$\n/m, ''), true);
    const model = (files: typeof artifact.files) =>
      Buffer.from(files.find((f) => f.path === 'model.onnx')!.contents);
    expect(model(cpuOnly.files).equals(model(artifact.files))).toBe(true);
  }, 180_000);

  it.skipIf(isDecoder)(
    'runs on the WebGPU EP with CPU fallback disabled and matches the CPU model on 64 eval passages',
    async () => {
      const dir = join(outDir, /model (\w+)/.exec(source)![1]!);
      const inputs = evalInputs();
      const options = { seed: 1, params: PARAMS[file] ?? {} };
      const cpu = await CompiledModel.load(dir, { target: 'cpu', intraOpNumThreads: 1 });
      const want = await cpu.run(inputs, options);
      await cpu.release();
      expect(new Set(want.exitLayer).size, 'samples exit at different layers').toBeGreaterThan(1);
      const profile = join(profiles, `${file}-chain`);
      const gpu = await CompiledModel.load(dir, { ...STRICT, profilePrefix: profile });
      expectSameDecisions(await gpu.run(inputs, options), want);
      await gpu.release();
      // onnxruntime's own record: every node it ran was on the WebGPU EP (no shape node on the CPU).
      const placed = nodesOffWebGpu(profile);
      expect(placed.ran).toBeGreaterThan(0);
      expect(placed.off).toEqual([]);
      if (webgpuTargets(dir).some((t) => t.form === 'segmented')) {
        const segmented = await SegmentedModel.load(dir, STRICT);
        expectSameDecisions(await segmented.run(inputs, options), want);
        await segmented.release();
      }
    },
    240_000,
  );

  it.runIf(isDecoder)(
    `generates the CPU model's tokens and exit layers on the WebGPU EP (${PROMPTS} prompts × ${NEW_TOKENS} tokens)`,
    async () => {
      const dir = join(outDir, /model (\w+)/.exec(source)![1]!);
      const array = parseNpy(readFileSync(join(ROOT, 'fixtures/decoder/eval/prompts.npy')), 'prompts').array!;
      const length = array.shape[1]!;
      const cpu = await DecoderModel.load(dir, { target: 'cpu', intraOpNumThreads: 1 });
      const profile = join(profiles, `${file}-step`);
      const gpu = await DecoderModel.load(dir, { ...STRICT, profilePrefix: profile });
      const exits = new Set<number>();
      for (let p = 0; p < PROMPTS; p++) {
        const prompt = Array.from(
          (array.data as BigInt64Array).subarray(p * length, (p + 1) * length),
          Number,
        );
        const want = await cpu.generate(prompt, { maxNewTokens: NEW_TOKENS });
        const got = await gpu.generate(prompt, { maxNewTokens: NEW_TOKENS });
        expect(got.tokens).toEqual(want.tokens);
        expect(got.steps.map((s) => s.exitLayer)).toEqual(want.steps.map((s) => s.exitLayer));
        for (const s of want.steps) exits.add(s.exitLayer);
      }
      expect(exits.size, 'tokens exit at different layers').toBeGreaterThan(1);
      await cpu.release();
      await gpu.release();
      const placed = nodesOffWebGpu(profile);
      expect(placed.ran).toBeGreaterThan(0);
      expect(placed.off).toEqual([]);
    },
    300_000,
  );
});

/** What the browser gets: the example's WebGPU model and the feeds in the types that model takes. */
function browserCase(name: string) {
  const dir = join(outDir, name);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const target = manifest.targets.find((t) => t.target === 'webgpu' && t.form === 'chain')!;
  const types = target.feedTypes!;
  const feeds: Record<string, BrowserFeeds[string]> = {};
  for (const [input, tensor] of Object.entries(evalInputs()))
    feeds[input] = {
      type: types[input] as 'int32',
      dims: tensor.dims,
      data: Array.from(tensor.data, Number),
    };
  for (const p of manifest.policy.parameters) {
    const values = typeof p.default === 'number' ? [p.default] : [...p.default];
    const dims = typeof p.default === 'number' ? [] : [values.length];
    feeds[p.input] = { type: types[p.input] as 'float32', dims, data: values };
  }
  return { dir, model: readFileSync(join(dir, target.models[0]!)), feeds };
}

describe('compiled examples in headless Chromium (onnxruntime-web native WebGPU entry, CPU fallback disabled)', () => {
  let browser: WebGpuBrowser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it.each(['encoder_jei', 'encoder_qexit'])(
    '%s matches the CPU model on 64 eval passages',
    async (name) => {
      const file = `${name.replace('encoder_', '')}.ramp`;
      await compileExample(file, withWebGpu(readFileSync(join(EXAMPLES_DIR, file), 'utf8')));
      const c = browserCase(name);
      browser ??= await openWebGpuBrowser();
      const out = await browser.run(c.model, c.feeds, { entry: 'webgpu' });
      const cpu = await CompiledModel.load(c.dir, { target: 'cpu', intraOpNumThreads: 1 });
      const want = await cpu.run(evalInputs());
      await cpu.release();
      expect(out.exit_layer!.data.map(Number)).toEqual([...want.exitLayer]);
      const logits = out.logits!.data;
      const classes = want.classes;
      const predictions = Array.from({ length: BATCH }, (_, b) => {
        const row = logits.slice(b * classes, (b + 1) * classes);
        return row.indexOf(Math.max(...row));
      });
      expect(predictions).toEqual([...want.predictions]);
      expect(Math.max(...logits.map((v, i) => Math.abs(v - want.logits[i]!)))).toBeLessThan(1e-3);
    },
    240_000,
  );
});

describe.each(LOOP_SCANS)('%s for webgpu', (file) => {
  it('is refused at the target line, naming every scan Loop that would leave the device; nothing is written', async () => {
    const path = join(EXAMPLES_DIR, file);
    const source = withWebGpu(readFileSync(path, 'utf8'));
    const result = await compile({ file: path, source, outDir: join(outDir, 'refused') });
    expect(result.artifacts).toEqual([]);
    const loops = result.diagnostics.filter((d) => d.code === 'OR6001' && /\(Loop\)/.test(d.message));
    // One scan per block, 6 blocks (inside the If segments too); with `update`, also the skipped blocks'
    // copied state updates.
    expect(loops.length).toBeGreaterThanOrEqual(6);
    for (const d of loops) {
      expect(d.message).toMatch(/has no Loop kernel/);
      expect(d.span?.start.line).toBe(
        source.split('\n').findIndex((l) => l.startsWith('  target webgpu')) + 1,
      );
    }
  });
});
