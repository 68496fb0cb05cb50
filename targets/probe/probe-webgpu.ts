/**
 * Regenerates the operator table of `targets/webgpu-native.json` (and, with --cpu, `targets/cpu.json`)
 * by probing onnxruntime-node 1.30's bundled WebGPU EP on SwiftShader with CPU fallback disabled.
 *
 *   bash scripts/ci-setup-webgpu.sh && node --import tsx targets/probe/probe-webgpu.ts [--cpu]
 *
 * Every (operator, since-version, element type) gets a one-node model; the node counts as supported
 * when a session with `executionProviders: ['webgpu']` and `disable_cpu_ep_fallback` can be created
 * and ORT's verbose log places no node (subgraphs included) on the CPU EP.
 * Session creation is where ORT assigns kernels, so no run is needed (SwiftShader lacks shader-f16,
 * so float16 models load but could not run here).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useSwiftShaderVulkan } from '../../test/support/webgpu/vulkan.js';
import { probeOperatorTable, type PlacementOracle } from './probe.js';
import { writeOperatorTable } from './write-table.js';

/**
 * Asks a child process to create each session with verbose logs and counts a model as placed only if
 * creation succeeded and no node of it, in any (sub)graph, was placed on the CPU EP.
 */
function nodeOracle(provider: 'webgpu' | 'cpu'): PlacementOracle {
  return async (models) => {
    const dir = await mkdtemp(join(tmpdir(), 'offramp-probe-'));
    try {
      const files = await Promise.all(
        models.map(async (model, i) => {
          const file = join(dir, `${i}.onnx`);
          await writeFile(file, model);
          return file;
        }),
      );
      const worker = fileURLToPath(new URL('./placement-worker.ts', import.meta.url));
      const log = spawnSync(process.execPath, ['--import', 'tsx', worker, provider, ...files], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      }).stderr;
      return models.map((_, i) => {
        const section = log.slice(log.indexOf(`@@probe-begin ${i}\n`), log.indexOf(`@@probe-end ${i} `) + 40);
        const ok = section.includes(`@@probe-end ${i} ok`);
        const cpuPlaced = provider !== 'cpu' && section.includes('placed on [CPUExecutionProvider]');
        return ok && !cpuPlaced;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

async function main(): Promise<void> {
  useSwiftShaderVulkan();
  const date = new Date().toISOString().slice(0, 10);
  const cpu = nodeOracle('cpu');
  const progress = (done: number, total: number) => process.stderr.write(`\r${done}/${total}`);

  const webgpu = await probeOperatorTable(nodeOracle('webgpu'), cpu, progress);
  process.stderr.write('\n');
  await writeOperatorTable('webgpu-native', {
    source: `probed on onnxruntime-node 1.30.0 (bundled WebGPU EP, Dawn on SwiftShader Vulkan), ${date}, by targets/probe/probe-webgpu.ts`,
    kernels: webgpu.kernels,
  });
  if (webgpu.rejectedByReference.length > 0) {
    console.log(`not valid on the CPU EP either (not probed): ${webgpu.rejectedByReference.join('; ')}`);
  }
  if (process.argv.includes('--cpu')) {
    const always: PlacementOracle = async (models) => models.map(() => true);
    const table = await probeOperatorTable(cpu, always, progress);
    process.stderr.write('\n');
    await writeOperatorTable('cpu', {
      source: `probed on onnxruntime-node 1.30.0 (CPU EP), ${date}, by targets/probe/probe-webgpu.ts --cpu`,
      kernels: table.kernels,
    });
  }
}

await main();
