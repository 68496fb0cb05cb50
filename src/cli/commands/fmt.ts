import { writeFileAtomic } from '../../io/index.js';
import { formatFile } from '../../parser/index.js';
import { ExitCode } from '../exit-codes.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

/**
 * `offramp fmt FILE...`: rewrite `.ramp` files in canonical form (comments kept). With `--check`, write
 * nothing and exit 1 if any file is not canonical (for CI).
 */
export async function fmtCommand(
  files: string[],
  options: OutputOptions & { check: boolean },
): Promise<number> {
  let code: number = ExitCode.ok;
  const results: { file: string; changed: boolean }[] = [];
  for (const file of files) {
    const r = await formatFile(file);
    const failed = printDiagnostics(r.diagnostics, { ...options, json: options.json });
    if (failed !== ExitCode.ok || r.text === undefined) {
      code = ExitCode.userError;
      continue;
    }
    results.push({ file, changed: r.changed === true });
    if (!r.changed) continue;
    if (options.check) {
      code = ExitCode.userError;
      if (!options.json) process.stderr.write(`${file}: not in canonical form (run offramp fmt ${file})\n`);
    } else {
      await writeFileAtomic(file, r.text);
      if (!options.json) process.stdout.write(`formatted ${file}\n`);
    }
  }
  if (options.json) printJson('fmt', [], { files: results });
  return code;
}
