import { compile } from '../../compiler/index.js';
import { ExitCode } from '../exit-codes.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

export interface CompileCommandOptions extends OutputOptions {
  readonly out: string;
  readonly target?: string[];
  readonly debug: boolean;
  readonly printIrAfter?: string;
  readonly dryRun: boolean;
}

export async function compileCommand(file: string, options: CompileCommandOptions): Promise<number> {
  const printIr = options.printIrAfter === 'all' ? 'all' : options.printIrAfter?.split(',');
  const result = await compile({
    file,
    outDir: options.out,
    debug: options.debug,
    dryRun: options.dryRun,
    ...(options.target ? { targets: options.target as ('cpu' | 'cuda' | 'webgpu')[] } : {}),
    ...(printIr ? { printIrAfter: printIr, log: (t: string) => process.stderr.write(`${t}\n`) } : {}),
  });
  const artifacts = result.artifacts.map((a) => ({
    name: a.name,
    directory: a.directory,
    files: a.files.map((f) => f.path),
  }));
  if (options.json) printJson('compile', result.diagnostics, { artifacts });
  const code = printDiagnostics(result.diagnostics, options);
  if (!options.json && code === ExitCode.ok) {
    for (const a of artifacts)
      process.stdout.write(`compiled ${a.name} -> ${a.directory} (${a.files.join(', ')})\n`);
  }
  return code;
}
