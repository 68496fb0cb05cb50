/**
 * Child process of the probe: creates one session per model file with verbose logging, so the parent
 * can read ORT's placement lines ("Node(s) placed on [CPUExecutionProvider]") per model. Those lines
 * cover what `disable_cpu_ep_fallback` misses: nodes inside If/Loop bodies, and float16 nodes that
 * ORT wraps in Casts and runs on the CPU.
 *
 *   node --import tsx targets/probe/placement-worker.ts <webgpu|cpu> <model files…>
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { useSwiftShaderVulkan } from '../../test/support/webgpu/vulkan.js';

const [provider, ...files] = process.argv.slice(2);
if (provider === 'webgpu') useSwiftShaderVulkan();
for (const [i, file] of files.entries()) {
  process.stderr.write(`@@probe-begin ${i}\n`);
  let status = 'ok';
  try {
    const session = await ort.InferenceSession.create(readFileSync(file), {
      executionProviders: [provider!],
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 0,
      logVerbosityLevel: 0,
      extra: { session: { disable_cpu_ep_fallback: provider === 'cpu' ? '0' : '1' } },
    });
    await session.release();
  } catch {
    status = 'failed';
  }
  process.stderr.write(`@@probe-end ${i} ${status}\n`);
}
