import { formatInspectReport, inspectModel, readModel } from '../../ir/index.js';
import { ExitCode } from '../exit-codes.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

export interface InspectCommandOptions extends OutputOptions {
  readonly layers?: string;
  readonly sequenceLength: string;
}

/** `offramp inspect MODEL`: signature, opsets, op histogram, layers with their cuts, parameters and FLOPs. */
export async function inspectCommand(file: string, options: InspectCommandOptions): Promise<number> {
  const { model, diagnostics } = await readModel(file);
  if (!model) {
    if (options.json) printJson('inspect', diagnostics, null);
    return printDiagnostics(diagnostics, options);
  }
  const report = inspectModel(model, {
    file,
    sequenceLength: Number(options.sequenceLength) || 128,
    ...(options.layers ? { pattern: options.layers } : {}),
  });
  const all = [...diagnostics, ...report.diagnostics];
  if (options.json) {
    printJson('inspect', all, report);
    return ExitCode.ok;
  }
  process.stdout.write(`${formatInspectReport(report)}\n`);
  return printDiagnostics(all, options);
}
