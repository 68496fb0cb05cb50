/**
 * `offramp compile` output for the webgpu target, end to end: every encoder example of dsl/examples compiled
 * with a webgpu target, loaded through the runtime (`CompiledModel`, which feeds the target's narrowed types)
 * on onnxruntime-node's WebGPU EP with CPU fallback disabled, against the same artifact's CPU model on the
 * fixture's eval data. Needs `bash scripts/ci-setup-webgpu.sh` (SwiftShader Vulkan).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { CompiledModel, int64Tensor } from '../../src/runtime/index.js';
import type { Manifest } from '../../src/runtime/manifest.js';
import { loadEncoderFixture } from '../support/encoder-fixture.js';
import { useSwiftShaderVulkan } from '../support/webgpu/vulkan.js';

const EXAMPLES_DIR = resolve(import.meta.dirname, '../../dsl/examples');
const BATCH = 32;
const encoderExamples = readdirSync(EXAMPLES_DIR).filter(
  (f) => f.endsWith('.ramp') && readFileSync(join(EXAMPLES_DIR, f), 'utf8').includes('fixtures/encoder/'),
);
const outDir = mkdtempSync(join(tmpdir(), 'offramp-webgpu-artifacts-'));
useSwiftShaderVulkan();

/** The example with a webgpu target (chain form) in place of its own targets. */
function withWebGpu(source: string): string {
  const stripped = source.replace(/^ {2}target .*$\n/gm, '');
  return stripped.replace(/\n}\n?$/, '\n  target cpu\n  target webgpu\n}\n');
}

describe.each(encoderExamples)('%s compiled for webgpu', (file) => {
  it('loads on WebGPU with nothing left to the CPU but host shape nodes, and matches the CPU model', async () => {
    const path = join(EXAMPLES_DIR, file);
    const result = await compile({ file: path, source: withWebGpu(readFileSync(path, 'utf8')), outDir });
    expect(
      result.diagnostics.filter((d) => d.severity === 'error'),
      formatDiagnostics(result.diagnostics),
    ).toEqual([]);
    const dir = result.artifacts[0]!.directory;
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const target = manifest.targets.find((t) => t.target === 'webgpu')!;
    expect(target.models).toEqual(['model.webgpu.onnx']);
    expect(target.placement.allOnDevice).toBe(true);
    expect(Object.values(target.feedTypes ?? {})).toContain('int32');
    const f = loadEncoderFixture();
    const n = BATCH * f.sequence;
    const inputs = {
      input_ids: int64Tensor(f.inputIds.slice(0, n), [BATCH, f.sequence]),
      attention_mask: int64Tensor(f.attentionMask.slice(0, n), [BATCH, f.sequence]),
    };
    const cpu = await CompiledModel.load(dir, { target: 'cpu', intraOpNumThreads: 1 });
    const gpu = await CompiledModel.load(dir, {
      target: 'webgpu',
      executionProviders: ['webgpu'],
      sessionConfig: { disable_cpu_ep_fallback: '1' },
    });
    const want = await cpu.run(inputs, { seed: 1 });
    const got = await gpu.run(inputs, { seed: 1 });
    await cpu.release();
    await gpu.release();
    expect([...got.exitLayer]).toEqual([...want.exitLayer]);
    expect([...got.predictions]).toEqual([...want.predictions]);
    const worst = Math.max(...got.logits.map((v, i) => Math.abs(v - want.logits[i]!)));
    expect(worst).toBeLessThan(1e-3);
  }, 120_000);
});
