/**
 * The webgpu-native target in Node: onnxruntime-node's bundled WebGPU EP on SwiftShader Vulkan, with
 * CPU fallback disabled, so a session that loads has every node on WebGPU. Needs
 * `bash scripts/ci-setup-webgpu.sh`; without it these tests fail and say so.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkOpSupport, type ElementType, loadBuiltinProfile } from '../../src/targets/index.js';
import {
  loopGraph,
  loopModel,
  MLP_CLASSES,
  MLP_INPUT,
  mlpWithExitGraph,
  mlpWithExitModel,
  opNodesOf,
} from '../support/webgpu/models.js';
import { createCpuSession, createWebGpuSession, runOnce } from '../support/webgpu/node-session.js';

const BATCH = 3;
const input = new Float32Array(BATCH * MLP_INPUT).map((_, i) => Math.cos(i * 0.7) * 1.5);

function feeds(threshold: number): Record<string, ort.Tensor> {
  return {
    x: new ort.Tensor('float32', input, [BATCH, MLP_INPUT]),
    threshold: new ort.Tensor('float32', Float32Array.of(threshold), []),
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('webgpu-native on onnxruntime-node (SwiftShader)', () => {
  it('runs an MLP + Softmax + If on WebGPU with CPU fallback disabled, matching the CPU EP', async () => {
    const model = mlpWithExitModel();
    const profile = await loadBuiltinProfile('webgpu-native');
    const typeOf = (v: string): ElementType => (v === 'cond' ? 'bool' : 'float32');
    expect(checkOpSupport(opNodesOf(mlpWithExitGraph, typeOf), profile)).toEqual([]);

    // threshold 0: always confident, the If takes `then`; threshold 2: never, it re-scores in `else`.
    for (const threshold of [0, 2]) {
      const cpu = await runOnce(await createCpuSession(model), feeds(threshold));
      const gpu = await runOnce(await createWebGpuSession(model), feeds(threshold));
      for (const name of ['probs', 'out']) {
        const expected = cpu[name]!.data as Float32Array;
        expect(gpu[name]!.dims).toEqual([BATCH, MLP_CLASSES]);
        expect(maxAbsDiff(gpu[name]!.data as Float32Array, expected)).toBeLessThan(1e-5);
      }
      const probs = cpu.probs!.data as Float32Array;
      const out = cpu.out!.data as Float32Array;
      // Each row is a distribution, and the branch taken is visible in the values.
      for (let r = 0; r < BATCH; r++) {
        const row = Array.from(out.subarray(r * MLP_CLASSES, (r + 1) * MLP_CLASSES));
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      if (threshold === 0) expect(maxAbsDiff(out, probs)).toBe(0);
      else expect(maxAbsDiff(out, probs)).toBeGreaterThan(1e-3);
    }
  });

  it('refuses a Loop model with fallback disabled, and checkOpSupport names the Loop node', async () => {
    const model = loopModel();
    // The model is valid and runs on CPU: 3 rows summed.
    const x = Float32Array.from({ length: 12 }, (_, i) => i + 1);
    const cpu = await runOnce(await createCpuSession(model), {
      x: new ort.Tensor('float32', x, [3, 4]),
      trips: new ort.Tensor('int64', BigInt64Array.of(3n), []),
    });
    expect(Array.from(cpu.total!.data as Float32Array)).toEqual([15, 18, 21, 24]);

    await expect(createWebGpuSession(model)).rejects.toThrow(
      /fallback to CPU EP has been explicitly disabled/,
    );

    const profile = await loadBuiltinProfile('webgpu-native');
    const typeOf = (v: string): ElementType => {
      if (v === 'trips' || v === 'i') return 'int64';
      return v.startsWith('c_') || v === 'keep_going' ? 'bool' : 'float32';
    };
    const diagnostics = checkOpSupport(opNodesOf(loopGraph, typeOf), profile, { file: 'loop.onnx' });
    // The Loop itself, and (a probed detail) the body's bool Identity: WebGPU has no bool Identity.
    expect(diagnostics.map((d) => [d.code, d.graph?.node])).toEqual([
      ['OR6001', 'running_sum'],
      ['OR6003', 'body/cond'],
    ]);
    expect(diagnostics[0]!.message).toContain('no Loop kernel');
    expect(diagnostics[1]!.message).toContain('inside a subgraph');
  });
});
