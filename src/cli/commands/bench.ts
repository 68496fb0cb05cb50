import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import * as ort from 'onnxruntime-node';
import { compile } from '../../compiler/index.js';
import { type Diagnostic, diagnostic } from '../../diagnostics/index.js';
import { readNpyFolder } from '../../io/index.js';
import { CompiledModel } from '../../runtime/node-session.js';
import type { HostTensor } from '../../runtime/tensors.js';
import { ExitCode } from '../exit-codes.js';
import { npyRows } from '../npy-rows.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

export interface BenchCommandOptions extends OutputOptions {
  readonly data: string;
  readonly batch: string;
  readonly runs: string;
  readonly limit?: string;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: readonly number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

/**
 * `offramp bench FILE.ramp --data DIR`: compiles the model (into a temporary directory), then runs it and
 * its backbone side by side over the data, alternating passes so both see the same machine state, and
 * reports throughput, per-batch latency, the exits and the measured against the ideal speed-up.
 */
export async function benchCommand(file: string, options: BenchCommandOptions): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const runs = Math.max(1, Number(options.runs) || 5);
  const batch = Math.max(1, Number(options.batch) || 1);
  const { arrays: data, diagnostics: dataProblems } = await readNpyFolder(options.data);
  diagnostics.push(...dataProblems);
  const scratch = mkdtempSync(join(tmpdir(), 'offramp-bench-'));
  try {
    const compiled = await compile({ file, outDir: scratch, targets: ['cpu'] });
    diagnostics.push(...compiled.diagnostics);
    const artifact = compiled.artifacts[0];
    if (!artifact || diagnostics.some((d) => d.severity === 'error')) {
      if (options.json) printJson('bench', diagnostics, null);
      return printDiagnostics(diagnostics, options);
    }
    const model = await CompiledModel.load(artifact.directory, { intraOpNumThreads: 1 });
    const manifest = model.manifest;
    if (manifest.decoder) {
      diagnostics.push(
        diagnostic('OR7003', {
          file: options.data,
          reason: 'decoder steps are benchmarked by bench/decoder.bench.ts',
        }),
      );
    }
    for (const input of manifest.inputs)
      if (!data.has(input.name))
        diagnostics.push(
          diagnostic('OR7003', {
            file: options.data,
            reason: `no ${input.name}.npy for model input '${input.name}'`,
          }),
        );
    if (diagnostics.some((d) => d.severity === 'error')) {
      await model.release();
      if (options.json) printJson('bench', diagnostics, null);
      return printDiagnostics(diagnostics, options);
    }
    // The backbone the manifest records as a source (resolved against the .ramp file's directory).
    const backbonePath = Object.keys(manifest.sources).find((s) => s.endsWith('.onnx'))!;
    const backbone = await ort.InferenceSession.create(resolve(dirname(resolve(file)), backbonePath), {
      intraOpNumThreads: 1,
      logSeverityLevel: 3,
    });
    const first = data.get(manifest.inputs[0]!.name)!;
    const total = Math.min(first.shape[0]!, options.limit ? Number(options.limit) : Number.POSITIVE_INFINITY);
    const batches: Record<string, HostTensor>[] = [];
    for (let start = 0; start < total; start += batch) {
      const n = Math.min(batch, total - start);
      batches.push(
        Object.fromEntries(manifest.inputs.map((i) => [i.name, npyRows(data.get(i.name)!, start, n)])),
      );
    }
    const interactive = Boolean(process.stderr.isTTY) && !process.env.CI && !options.json;
    const bar = interactive
      ? new SingleBar({ format: 'benchmarking [{bar}] {value}/{total} passes', stream: process.stderr })
      : undefined;
    bar?.start(runs * 2, 0);
    const compiledPasses: number[] = [];
    const backbonePasses: number[] = [];
    const batchLatency: number[] = [];
    let exitSum = 0;
    let counted = 0;
    const histogram = new Array<number>(manifest.layers).fill(0);
    for (let r = 0; r < runs; r++) {
      let began = performance.now();
      for (const feeds of batches) {
        const t = performance.now();
        const out = await model.run(feeds);
        batchLatency.push(performance.now() - t);
        if (r === 0)
          for (const layer of out.exitLayer) {
            histogram[layer - 1]! += 1;
            exitSum += layer;
            counted++;
          }
      }
      compiledPasses.push(performance.now() - began);
      bar?.increment();
      began = performance.now();
      for (const feeds of batches) {
        const ortFeeds = Object.fromEntries(
          Object.entries(feeds).map(([name, t]) => [
            name,
            new ort.Tensor(t.elementType as 'int64', t.data as BigInt64Array, [...t.dims]),
          ]),
        );
        await backbone.run(ortFeeds);
      }
      backbonePasses.push(performance.now() - began);
      bar?.increment();
    }
    bar?.stop();
    await model.release();
    await backbone.release();
    const meanExit = exitSum / Math.max(1, counted);
    const result = {
      model: manifest.name,
      examples: total,
      batch,
      runs,
      compiled: {
        medianPassMs: median(compiledPasses),
        examplesPerSecond: (total * 1000) / median(compiledPasses),
        batchLatencyMs: {
          p50: percentile(batchLatency, 50),
          p90: percentile(batchLatency, 90),
          p99: percentile(batchLatency, 99),
        },
      },
      backbone: {
        medianPassMs: median(backbonePasses),
        examplesPerSecond: (total * 1000) / median(backbonePasses),
      },
      exitHistogram: histogram,
      meanExitLayer: meanExit,
      idealSpeedup: manifest.layers / meanExit,
      measuredSpeedup: median(backbonePasses) / median(compiledPasses),
    };
    if (options.json) {
      printJson('bench', diagnostics, result);
      return ExitCode.ok;
    }
    const lines = [
      `${manifest.name}: ${total} examples, batch ${batch}, ${runs} runs each, side by side (policy ${manifest.policy.kind}, defaults)`,
      `compiled  ${result.compiled.examplesPerSecond.toFixed(1)} examples/s   batch latency p50 ${result.compiled.batchLatencyMs.p50.toFixed(2)} ms, p90 ${result.compiled.batchLatencyMs.p90.toFixed(2)} ms, p99 ${result.compiled.batchLatencyMs.p99.toFixed(2)} ms`,
      `backbone  ${result.backbone.examplesPerSecond.toFixed(1)} examples/s`,
      `exit histogram    ${histogram.map((c, k) => `L${k + 1}:${c}`).join('  ')}`,
      `mean exit layer   ${meanExit.toFixed(2)} of ${manifest.layers}`,
      `speed-up          ${result.measuredSpeedup.toFixed(2)}x measured, ${result.idealSpeedup.toFixed(2)}x ideal`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return printDiagnostics(diagnostics, options);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
