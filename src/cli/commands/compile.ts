import { existsSync, type FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CONFIG_FILES, type CompileResult, compile, compileAll, loadConfig } from '../../compiler/index.js';
import { diagnostic } from '../../diagnostics/index.js';
import { ExitCode } from '../exit-codes.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

export interface CompileCommandOptions extends OutputOptions {
  readonly out: string;
  readonly target?: string[];
  readonly debug: boolean;
  readonly printIrAfter?: string;
  readonly timing?: boolean;
  readonly dryRun: boolean;
  readonly config?: string;
  readonly watch?: boolean;
}

/** Prints one compile result the way every mode does (text or `--json`); returns the exit code. */
function report(result: CompileResult, options: CompileCommandOptions): number {
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

async function compileOnce(file: string | undefined, options: CompileCommandOptions): Promise<CompileResult> {
  if (!file) {
    // No file: the models of a config file (named, or the first of CONFIG_FILES in this directory).
    const path = options.config ?? CONFIG_FILES.find((name) => existsSync(name));
    if (!path)
      return {
        artifacts: [],
        diagnostics: [
          diagnostic('OR7004', {
            file: CONFIG_FILES[0],
            reason: 'no .ramp file was given and there is no config file here',
          }),
        ],
      };
    const { config, diagnostics } = await loadConfig(path);
    if (!config) return { artifacts: [], diagnostics };
    return compileAll(config, { debug: options.debug, dryRun: options.dryRun });
  }
  const printIr = options.printIrAfter === 'all' ? 'all' : options.printIrAfter?.split(',');
  return compile({
    file,
    outDir: options.out,
    debug: options.debug,
    dryRun: options.dryRun,
    ...(options.target ? { targets: options.target as ('cpu' | 'cuda' | 'webgpu')[] } : {}),
    ...(printIr ? { printIrAfter: printIr } : {}),
    ...(options.timing ? { timing: true } : {}),
    ...(printIr || options.timing ? { log: (t: string) => process.stderr.write(`${t}\n`) } : {}),
  });
}

/** Files a compile read: the `.ramp` file and every source its manifests record (backbone, weights). */
function watchedFiles(file: string, result: CompileResult): string[] {
  const files = new Set([resolve(file)]);
  for (const a of result.artifacts) {
    const manifest = join(a.directory, 'manifest.json');
    if (!existsSync(manifest)) continue;
    const sources = (JSON.parse(readFileSync(manifest, 'utf8')) as { sources?: Record<string, string> })
      .sources;
    for (const relative of Object.keys(sources ?? {})) files.add(resolve(dirname(resolve(file)), relative));
  }
  return [...files].filter((f) => existsSync(f));
}

/**
 * `--watch`: compile, then recompile whenever the `.ramp` file or a file it reads changes (debounced, so an
 * editor's several writes give one compile); diagnostics are printed each time. Ends cleanly on SIGINT.
 */
async function watchMode(file: string, options: CompileCommandOptions): Promise<number> {
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const rebuild = async () => {
    const result = await compileOnce(file, options);
    report(result, options);
    for (const w of watchers) w.close();
    watchers = watchedFiles(file, result).map((f) => watch(f, () => schedule()));
    if (!options.json) process.stdout.write(`watching ${watchers.length} file(s); Ctrl-C to stop\n`);
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(rebuild);
    }, 150);
  };
  await rebuild();
  return new Promise((done) => {
    process.once('SIGINT', () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      void running.then(() => done(ExitCode.ok));
    });
  });
}

export async function compileCommand(
  file: string | undefined,
  options: CompileCommandOptions,
): Promise<number> {
  if (options.watch) {
    if (!file) {
      process.stderr.write('offramp compile --watch needs a .ramp file\n');
      return ExitCode.usage;
    }
    return watchMode(file, options);
  }
  if (!file && !options.config && !CONFIG_FILES.some((name) => existsSync(name))) {
    // Neither a file nor a config: the command line is incomplete (a usage error, like a missing argument).
    const result = await compileOnce(file, options);
    report(result, options);
    return ExitCode.usage;
  }
  return report(await compileOnce(file, options), options);
}
