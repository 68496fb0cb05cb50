import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { compile } from '../../compiler/index.js';
import { type Diagnostic, diagnostic } from '../../diagnostics/index.js';
import { readNpyFolder } from '../../io/index.js';
import { TelemetryRecorder } from '../../runtime/telemetry.js';
import {
  type ArtifactModel,
  BackboneSession,
  checkInputs,
  evalBatches,
  type FormName,
  locateBackbone,
  openArtifact,
  parseParams,
  type TargetName,
} from '../eval-data.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

export interface BenchCommandOptions extends OutputOptions {
  readonly data: string;
  readonly batch: number;
  readonly runs: number;
  readonly limit?: number;
  readonly target?: TargetName;
  readonly form?: FormName;
  readonly param?: string[];
  readonly backbone?: string;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: readonly number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const percentiles = (xs: readonly number[]) => ({
  p50: percentile(xs, 50),
  p90: percentile(xs, 90),
  p99: percentile(xs, 99),
});

/** Progress on stderr, only for a person watching: off when stderr is not a TTY, under CI, or with --json. */
function progressBar(json: boolean, total: number): SingleBar | undefined {
  if (json || !process.stderr.isTTY || process.env.CI) return undefined;
  const bar = new SingleBar({
    format: 'benchmarking [{bar}] {value}/{total} batches',
    stream: process.stderr,
    clearOnComplete: true,
  });
  bar.start(total, 0);
  return bar;
}

/**
 * `offramp bench FILE.ramp|ARTIFACT --data DIR`: compiles the model into a temporary directory (or opens a
 * compiled artifact), then runs it and its backbone side by side over the data, alternating whole passes so
 * both see the same machine state, and reports throughput, per-batch latency, the exits and the measured
 * against the ideal speed-up. Timing and exits come from the runtime's own telemetry.
 */
export async function benchCommand(input: string, options: BenchCommandOptions): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const done = async (model?: ArtifactModel) => {
    await model?.release();
    if (options.json) printJson('bench', diagnostics, null);
    return printDiagnostics(diagnostics, options);
  };
  const params = parseParams(options.param, diagnostics);
  const { arrays: data, diagnostics: dataProblems } = await readNpyFolder(options.data);
  diagnostics.push(...dataProblems);
  const isArtifact = existsSync(input) && statSync(input).isDirectory();
  if (isArtifact && !existsSync(join(input, 'manifest.json'))) {
    diagnostics.push(
      diagnostic('OR7005', {
        file: input,
        reason: 'a directory without manifest.json is neither a .ramp file nor a compiled artifact',
      }),
    );
    return done();
  }
  const scratch = isArtifact ? undefined : mkdtempSync(join(tmpdir(), 'offramp-bench-'));
  try {
    let directory = input;
    if (scratch) {
      const compiled = await compile({ file: input, outDir: scratch, targets: [options.target ?? 'cpu'] });
      diagnostics.push(...compiled.diagnostics);
      if (!compiled.artifacts[0] || diagnostics.some((d) => d.severity === 'error')) return done();
      directory = compiled.artifacts[0].directory;
    }
    const model = await openArtifact(directory, { ...options, label: input }, diagnostics);
    if (!model) return done();
    const manifest = model.manifest;
    if (manifest.decoder)
      diagnostics.push(
        diagnostic('OR7005', {
          file: input,
          reason: 'decoder steps are benchmarked token by token by bench/decoder.bench.ts',
        }),
      );
    diagnostics.push(...checkInputs(manifest, data, options.data));
    const backbonePath =
      options.backbone ?? locateBackbone(manifest, directory, scratch ? input : undefined, diagnostics);
    if (diagnostics.some((d) => d.severity === 'error') || !backbonePath) return done(model);
    let backbone: BackboneSession;
    try {
      backbone = await BackboneSession.open(backbonePath);
    } catch (error) {
      diagnostics.push(diagnostic('OR7001', { file: backbonePath, reason: (error as Error).message }));
      return done(model);
    }
    const { total, batches } = evalBatches(manifest, data, options.batch, options.limit);
    const runs = options.runs;
    const bar = progressBar(options.json, runs * 2 * batches.length);
    // Exits of the first pass (every pass decides the same, bar PonderNet's per-call draws).
    const exits = new TelemetryRecorder(manifest.layers);
    const compiledPasses: number[] = [];
    const backbonePasses: number[] = [];
    const compiledLatency: number[] = [];
    const backboneLatency: number[] = [];
    let driverMs = 0;
    let checks = 0;
    for (let r = 0; r < runs; r++) {
      let pass = 0;
      for (const { feeds } of batches) {
        const { telemetry } = await model.run(feeds, { params });
        compiledLatency.push(telemetry.wallMs);
        pass += telemetry.wallMs;
        if (r === 0) exits.record(telemetry);
        driverMs += telemetry.wallMs - (telemetry.modelMs ?? telemetry.wallMs);
        checks += telemetry.checks ?? 0;
        bar?.increment();
      }
      compiledPasses.push(pass);
      pass = 0;
      for (const { feeds } of batches) {
        const ms = await backbone.run(feeds);
        backboneLatency.push(ms);
        pass += ms;
        bar?.increment();
      }
      backbonePasses.push(pass);
    }
    bar?.stop();
    await model.release();
    await backbone.release();
    const summary = exits.summary();
    const compiledMs = median(compiledPasses);
    const backboneMs = median(backbonePasses);
    const measuredSpeedup = backboneMs / compiledMs;
    const result = {
      model: manifest.name,
      target: model.target.target,
      form: model.target.form,
      policy: manifest.policy.kind,
      params,
      examples: total,
      batch: options.batch,
      runs,
      compiled: {
        medianPassMs: compiledMs,
        examplesPerSecond: (total * 1000) / compiledMs,
        batchLatencyMs: percentiles(compiledLatency),
        ...(checks > 0 ? { driverUsPerExitCheck: (driverMs * 1000) / checks } : {}),
      },
      backbone: {
        file: backbonePath,
        medianPassMs: backboneMs,
        examplesPerSecond: (total * 1000) / backboneMs,
        batchLatencyMs: percentiles(backboneLatency),
      },
      exitHistogram: summary.exitHistogram,
      meanExitLayer: summary.meanExitLayer,
      idealSpeedup: summary.estimatedSpeedup,
      measuredSpeedup,
      /** Measured over ideal: how much of the skipped layers' cost the compiled model actually saves. */
      efficiency: measuredSpeedup / summary.estimatedSpeedup,
    };
    if (options.json) {
      printJson('bench', diagnostics, result);
      return printDiagnostics(diagnostics, options);
    }
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    const latency = (l: { p50: number; p90: number; p99: number }) =>
      `batch latency p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}`;
    const lines = [
      `${manifest.name} (${result.target}, ${result.form} form, policy ${manifest.policy.kind}${
        Object.keys(params).length
          ? ` ${Object.entries(params)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ', defaults'
      }): ${total} examples, batch ${options.batch}, ${runs} passes each, side by side`,
      `compiled  ${result.compiled.examplesPerSecond.toFixed(1).padStart(9)} examples/s   ${latency(result.compiled.batchLatencyMs)}`,
      `backbone  ${result.backbone.examplesPerSecond.toFixed(1).padStart(9)} examples/s   ${latency(result.backbone.batchLatencyMs)}`,
      `exit histogram    ${summary.exitHistogram.map((c, k) => `L${k + 1}:${c}`).join('  ')}`,
      `mean exit layer   ${summary.meanExitLayer.toFixed(2)} of ${manifest.layers}`,
      `speed-up          ${measuredSpeedup.toFixed(2)}x measured, ${summary.estimatedSpeedup.toFixed(2)}x ideal (${(result.efficiency * 100).toFixed(0)} % of ideal)`,
      ...(result.compiled.driverUsPerExitCheck !== undefined
        ? [`driver overhead   ${result.compiled.driverUsPerExitCheck.toFixed(0)} µs per exit check`]
        : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return printDiagnostics(diagnostics, options);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
