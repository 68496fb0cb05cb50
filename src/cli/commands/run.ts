import * as ort from 'onnxruntime-node';
import { type Diagnostic, diagnostic } from '../../diagnostics/index.js';
import { readNpyFolder } from '../../io/index.js';
import { CompiledModel } from '../../runtime/node-session.js';
import { ExitCode } from '../exit-codes.js';
import { npyRows } from '../npy-rows.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

export interface RunCommandOptions extends OutputOptions {
  readonly data: string;
  readonly batch: string;
  readonly param?: string[];
  readonly backbone?: string;
  readonly limit?: string;
}

function parseParams(
  pairs: readonly string[] | undefined,
  diagnostics: Diagnostic[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of pairs ?? []) {
    const [name, value] = pair.split('=');
    const n = Number(value);
    if (!name || value === undefined || !Number.isFinite(n)) {
      diagnostics.push(
        diagnostic('OR7003', {
          file: pair,
          reason: 'parameters are given as name=number, e.g. --param patience=3',
        }),
      );
    } else out[name] = n;
  }
  return out;
}

/** Runs a compiled artifact over a folder of `.npy` inputs; prints accuracy, exits and measured speed-up. */
export async function runCommand(artifact: string, options: RunCommandOptions): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const params = parseParams(options.param, diagnostics);
  const { arrays: data, diagnostics: dataProblems } = await readNpyFolder(options.data);
  diagnostics.push(...dataProblems);
  let model: CompiledModel | undefined;
  try {
    model = await CompiledModel.load(artifact, { intraOpNumThreads: 1 });
  } catch (error) {
    diagnostics.push(
      diagnostic(
        'OR7003',
        { file: artifact, reason: (error as Error).message },
        { graph: { file: artifact } },
      ),
    );
  }
  const missing = model?.manifest.inputs.filter((i) => !data.has(i.name)) ?? [];
  for (const m of missing)
    diagnostics.push(
      diagnostic(
        'OR7003',
        { file: options.data, reason: `no ${m.name}.npy for model input '${m.name}'` },
        { graph: { file: options.data } },
      ),
    );
  if (!model || diagnostics.some((d) => d.severity === 'error')) {
    if (options.json) printJson('run', diagnostics, null);
    return printDiagnostics(diagnostics, options);
  }
  const manifest = model.manifest;
  const first = data.get(manifest.inputs[0]!.name)!;
  const total = Math.min(first.shape[0]!, options.limit ? Number(options.limit) : Number.POSITIVE_INFINITY);
  const batch = Math.max(1, Number(options.batch) || 1);
  const labels = data.get('labels');
  let correct = 0;
  let compiledMs = 0;
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    const feeds = Object.fromEntries(
      manifest.inputs.map((i) => [i.name, npyRows(data.get(i.name)!, start, n)]),
    );
    const out = await model.run(feeds, { params });
    compiledMs += out.telemetry.wallMs;
    if (labels)
      for (let b = 0; b < n; b++)
        if (BigInt(out.predictions[b]!) === BigInt(labels.data[start + b] as bigint | number)) correct++;
  }
  let backboneMs: number | undefined;
  if (options.backbone) {
    const session = await ort.InferenceSession.create(options.backbone, {
      intraOpNumThreads: 1,
      logSeverityLevel: 3,
    });
    backboneMs = 0;
    for (let start = 0; start < total; start += batch) {
      const n = Math.min(batch, total - start);
      const feeds = Object.fromEntries(
        manifest.inputs.map((i) => {
          const t = npyRows(data.get(i.name)!, start, n);
          return [i.name, new ort.Tensor(t.elementType as 'int64', t.data as BigInt64Array, [...t.dims])];
        }),
      );
      const began = performance.now();
      await session.run(feeds);
      backboneMs += performance.now() - began;
    }
    await session.release();
  }
  const stats = model.stats();
  await model.release();
  const result = {
    examples: total,
    batch,
    accuracy: labels ? correct / total : undefined,
    exitHistogram: stats.exitHistogram,
    meanExitLayer: stats.meanExitLayer,
    estimatedSpeedup: stats.estimatedSpeedup,
    compiledMs,
    ...(backboneMs !== undefined ? { backboneMs, measuredSpeedup: backboneMs / compiledMs } : {}),
  };
  if (options.json) {
    printJson('run', diagnostics, result);
    return ExitCode.ok;
  }
  const lines = [
    `${manifest.name}: ${total} examples, batch ${batch}, policy ${manifest.policy.kind}`,
    ...(result.accuracy !== undefined ? [`accuracy          ${(result.accuracy * 100).toFixed(2)}%`] : []),
    `exit histogram    ${stats.exitHistogram.map((c, k) => `L${k + 1}:${c}`).join('  ')}`,
    `mean exit layer   ${stats.meanExitLayer.toFixed(2)} of ${manifest.layers} (ideal speed-up ${stats.estimatedSpeedup.toFixed(2)}x)`,
    ...(backboneMs !== undefined
      ? [
          `measured speed-up ${(backboneMs / compiledMs).toFixed(2)}x (backbone ${backboneMs.toFixed(0)} ms, compiled ${compiledMs.toFixed(0)} ms)`,
        ]
      : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return printDiagnostics(diagnostics, options);
}
