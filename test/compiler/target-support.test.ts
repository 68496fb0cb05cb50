/**
 * A backbone with an operator the target's execution provider lacks: `compile` names the node at the
 * target's `.ramp` line (OR6001, an error per the profiles' `fallbackSeverity`) and writes nothing, instead
 * of emitting a model onnxruntime would quietly run partly on the CPU. The same backbone compiles for the
 * CPU, where nothing can fall back. For WebGPU the engine agrees: the legalized model with that node is
 * refused by onnxruntime-node's WebGPU EP with CPU fallback disabled (and loads, silently split, without).
 *
 * The operators: the encoder's first GELU `Erf` replaced by `Acos` (the CUDA EP registers no Acos:
 * OperatorKernels.md, CUDAExecutionProvider, commit 001d12d) or by `Sign` (no WebGPU kernel: a one-node
 * Sign model is refused on the WebGPU EP with fallback disabled, as the test below shows again).
 *
 * And every example passes the cuda check in fp32 and fp16 (a check against the profile's table, which
 * comes from onnxruntime's OperatorKernels.md: no CUDA EP runs on this machine).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { importModel, writeModel } from '../../src/ir/index.js';
import type { Manifest } from '../../src/runtime/manifest.js';
import { legalizeForTarget, loadBuiltinProfile } from '../../src/targets/index.js';
import { fixturePath } from '../support/encoder-fixture.js';
import { useSwiftShaderVulkan } from '../support/webgpu/vulkan.js';

const out = mkdtempSync(join(tmpdir(), 'offramp-target-support-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const ERF = '/bert/encoder/layer.0/intermediate/Erf';

/** The encoder backbone with its first Erf node computing `op` instead (same shape, same type). */
function backboneWith(op: string): string {
  const model = importModel(readFileSync(fixturePath('backbone.onnx'))).model!;
  const node = model.graph.nodes.find((n) => n.op === 'Erf');
  if (node?.name !== ERF) throw new Error(`the fixture's first Erf is ${node?.name}, not ${ERF}`);
  node.op = op;
  const file = join(out, `backbone-${op}.onnx`);
  writeFileSync(file, writeModel(model));
  return file;
}

const ramp = (backbone: string, target: string) => `model odd {
  backbone "${backbone}" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..6 {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" { pooler: "pabee.pooler.", linear: "pabee.classifier.{i}." }
  }
  policy pabee { patience: 2 }
  ${target}
}
`;

describe.each([
  ['cuda', 'Acos', 'target cuda { precision: fp32 }', 'cuda (CUDAExecutionProvider) has no Acos kernel'],
  ['webgpu', 'Sign', 'target webgpu', 'webgpu-native (WebGpuExecutionProvider) has no Sign kernel'],
])('a node the %s EP lacks', (name, op, target, reason) => {
  const backbone = backboneWith(op);

  it('is an OR6001 error at the target line naming the node, and nothing is written', async () => {
    const file = join(out, `${name}.ramp`);
    const source = ramp(backbone, target);
    writeFileSync(file, source);
    const outDir = join(out, `${name}-artifacts`);
    const result = await compile({ file, source, outDir });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['OR6001']);
    expect(errors[0]!.message).toContain(`node '${ERF}' (${op}) would run on the CPU: ${reason}`);
    expect(errors[0]!.span?.start.line).toBe(source.split('\n').findIndex((l) => l.includes(target)) + 1);
    expect(result.artifacts).toEqual([]);
    expect(existsSync(outDir)).toBe(false);
  });

  it('compiles for the CPU', async () => {
    const file = join(out, `${name}-cpu.ramp`);
    writeFileSync(file, ramp(backbone, 'target cpu'));
    const result = await compile({ file, outDir: join(out, `${name}-cpu`), dryRun: true });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.artifacts).toHaveLength(1);
  });
});

describe('the WebGPU EP on the model the compiler refused', () => {
  it('refuses it with CPU fallback disabled and splits it silently without', async () => {
    const file = join(out, 'sign-cpu.ramp');
    writeFileSync(file, ramp(backboneWith('Sign'), 'target cpu'));
    const result = await compile({ file, outDir: join(out, 'sign-cpu'), dryRun: true });
    const bytes = result.artifacts[0]!.files.find((f) => f.path === 'model.onnx')!.contents as Uint8Array;
    const model = importModel(bytes).model!;
    const legalized = legalizeForTarget(model, await loadBuiltinProfile('webgpu-native'));
    // Everything else legalizes: the Sign node is the only one left off the device.
    expect(legalized.diagnostics.map((d) => d.code)).toEqual(['OR6001']);
    useSwiftShaderVulkan();
    const options = (strict: boolean) =>
      ({
        executionProviders: ['webgpu'],
        logSeverityLevel: 4,
        extra: { session: { disable_cpu_ep_fallback: strict ? '1' : '0' } },
      }) as ort.InferenceSession.SessionOptions;
    const webgpu = writeModel(model);
    await expect(ort.InferenceSession.create(webgpu, options(true))).rejects.toThrow(
      /fallback to CPU EP has been explicitly disabled/,
    );
    const loose = await ort.InferenceSession.create(webgpu, options(false));
    await loose.release();
  }, 120_000);
});

const EXAMPLES_DIR = join(import.meta.dirname, '../../dsl/examples');
/** Examples on the Mamba LM fixture, whose scans are Loops over sequence ops the cuda table lacks. */
const SEQUENCE_SCANS = new Set(['dynamax.ramp', 'mamba-decoder.ramp']);

describe.each(
  readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.ramp'))
    .sort(),
)('%s for cuda (the profile check; no CUDA EP runs here)', (file) => {
  it.each(['fp32', 'fp16'])('passes the cuda placement check in %s', async (precision) => {
    const path = join(EXAMPLES_DIR, file);
    const source = readFileSync(path, 'utf8')
      .replace(/^ {2}target .*$\n/gm, '')
      .replace(/\n}\n?$/, `\n  target cuda { precision: ${precision} }\n}\n`);
    const result = await compile({ file: path, source, outDir: join(out, 'cuda'), dryRun: true });
    if (SEQUENCE_SCANS.has(file)) {
      // The Mamba LM's scan is a Loop collecting its outputs in a sequence: the cuda table has no entry for
      // the sequence ops yet (no CUDA run here to check them), so these, and only these, are reported.
      expect(result.diagnostics.length).toBeGreaterThan(0);
      for (const d of result.diagnostics) {
        expect(d.code, d.message).toBe('OR6004');
        expect(d.message).toMatch(/ai\.onnx::(SequenceEmpty|SequenceInsert|ConcatFromSequence),/);
      }
      return;
    }
    expect(result.diagnostics, formatDiagnostics(result.diagnostics)).toEqual([]);
    const manifest = JSON.parse(
      result.artifacts[0]!.files.find((f) => f.path === 'manifest.json')!.contents as string,
    ) as Manifest;
    const target = manifest.targets.find((t) => t.target === 'cuda')!;
    // Nothing the cuda profile lacks: its artifact is the compiled model itself (fp16 converted or not).
    expect(target.models).toEqual([precision === 'fp16' ? 'model.fp16.onnx' : 'model.onnx']);
    expect(target.placement).toEqual({ allOnDevice: true, hostNodes: [] });
    expect(target.sessionOptions).toEqual({ extra: { session: { disable_cpu_ep_fallback: '1' } } });
  });
});
