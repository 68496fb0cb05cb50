import { type Diagnostic, diagnostic } from '../../diagnostics/index.js';
import { readNpyFolder } from '../../io/index.js';
import {
  BackboneSession,
  checkInputs,
  evalBatches,
  type FormName,
  openArtifact,
  parseParams,
  type TargetName,
} from '../eval-data.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

export interface RunCommandOptions extends OutputOptions {
  readonly data: string;
  readonly batch: number;
  readonly param?: string[];
  readonly backbone?: string;
  readonly limit?: number;
  readonly target?: TargetName;
  readonly form?: FormName;
}

/** Runs a compiled artifact over a folder of `.npy` inputs; prints accuracy, exits and measured speed-up. */
export async function runCommand(artifact: string, options: RunCommandOptions): Promise<number> {
  const diagnostics: Diagnostic[] = [];
  const params = parseParams(options.param, diagnostics);
  const { arrays: data, diagnostics: dataProblems } = await readNpyFolder(options.data);
  diagnostics.push(...dataProblems);
  const model = await openArtifact(artifact, options, diagnostics);
  if (model) diagnostics.push(...checkInputs(model.manifest, data, options.data));
  if (!model || diagnostics.some((d) => d.severity === 'error')) {
    await model?.release();
    if (options.json) printJson('run', diagnostics, null);
    return printDiagnostics(diagnostics, options);
  }
  const manifest = model.manifest;
  const batch = options.batch;
  const { total, batches } = evalBatches(manifest, data, batch, options.limit);
  const labels = data.get('labels');
  let correct = 0;
  let compiledMs = 0;
  for (const { start, feeds } of batches) {
    const out = await model.run(feeds, { params });
    compiledMs += out.telemetry.wallMs;
    if (labels)
      for (let b = 0; b < out.batch; b++)
        if (BigInt(out.predictions[b]!) === BigInt(labels.data[start + b] as bigint | number)) correct++;
  }
  let backboneMs: number | undefined;
  if (options.backbone) {
    let backbone: BackboneSession | undefined;
    try {
      backbone = await BackboneSession.open(options.backbone);
    } catch (error) {
      diagnostics.push(diagnostic('OR7001', { file: options.backbone, reason: (error as Error).message }));
    }
    if (backbone) {
      backboneMs = 0;
      for (const { feeds } of batches) backboneMs += await backbone.run(feeds);
      await backbone.release();
    }
  }
  const stats = model.stats();
  await model.release();
  const result = {
    examples: total,
    batch,
    form: model.target.form,
    accuracy: labels ? correct / total : undefined,
    exitHistogram: stats.exitHistogram,
    meanExitLayer: stats.meanExitLayer,
    estimatedSpeedup: stats.estimatedSpeedup,
    compiledMs,
    ...(backboneMs !== undefined ? { backboneMs, measuredSpeedup: backboneMs / compiledMs } : {}),
  };
  if (options.json) {
    printJson('run', diagnostics, result);
    return printDiagnostics(diagnostics, options);
  }
  const lines = [
    `${manifest.name}: ${total} examples, batch ${batch}, policy ${manifest.policy.kind}${result.form === 'segmented' ? ', segmented form' : ''}`,
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
