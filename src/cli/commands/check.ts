import { checkFile } from '../../link/index.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

/** `offramp check FILE`: parse, check and link a `.ramp` file without compiling it. */
export async function checkCommand(file: string, options: OutputOptions): Promise<number> {
  const result = await checkFile(file);
  const models = (result.linked ?? []).map((l) => ({
    name: l.model.name.value,
    layers: l.layers.count,
    exits: l.exitLayers,
  }));
  if (options.json) printJson('check', result.diagnostics, { models });
  const code = printDiagnostics(result.diagnostics, options);
  if (!options.json && code === 0) {
    for (const m of models)
      process.stdout.write(
        `${file}: model ${m.name} ok (${m.layers} layers, exits after ${m.exits.join(', ')})\n`,
      );
  }
  return code;
}
