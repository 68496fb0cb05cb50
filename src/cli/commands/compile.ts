import { existsSync, type FSWatcher, watch } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_FILES, type CompileResult, compile, compileAll, loadConfig } from '../../compiler/index.js';
import { diagnostic, hasErrors } from '../../diagnostics/index.js';
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
    files: [...a.weightFiles.map((w) => w.location), ...a.files.map((f) => f.path)],
  }));
  if (options.json) printJson('compile', result.diagnostics, { artifacts });
  const code = printDiagnostics(result.diagnostics, options);
  if (!options.json && code === ExitCode.ok) {
    for (const a of artifacts)
      process.stdout.write(`compiled ${a.name} -> ${a.directory} (${a.files.join(', ')})\n`);
  }
  return code;
}

/** The config file `compile` uses without a FILE: `--config`, else the first of CONFIG_FILES here. */
const configPath = (options: CompileCommandOptions) =>
  options.config ?? CONFIG_FILES.find((name) => existsSync(name));

/**
 * One build: the `.ramp` file, or every model of the config file. `roots` are the files the build starts
 * from (the `.ramp` file; the config file and each `.ramp` file it lists), watched even when it fails.
 */
async function compileOnce(
  file: string | undefined,
  options: CompileCommandOptions,
): Promise<{ result: CompileResult; roots: string[] }> {
  if (!file) {
    const path = configPath(options);
    if (!path)
      return {
        roots: [],
        result: {
          artifacts: [],
          diagnostics: [
            diagnostic('OR7004', {
              file: CONFIG_FILES[0],
              reason: 'no .ramp file was given and there is no config file here',
            }),
          ],
        },
      };
    const { config, diagnostics } = await loadConfig(path);
    const roots = [resolve(path), ...(config?.models.map((m) => m.file) ?? [])];
    if (!config) return { roots, result: { artifacts: [], diagnostics } };
    return { roots, result: await compileAll(config, { debug: options.debug, dryRun: options.dryRun }) };
  }
  const printIr = options.printIrAfter === 'all' ? 'all' : options.printIrAfter?.split(',');
  const result = await compile({
    file,
    outDir: options.out,
    debug: options.debug,
    dryRun: options.dryRun,
    ...(options.target ? { targets: options.target as ('cpu' | 'cuda' | 'webgpu')[] } : {}),
    ...(printIr ? { printIrAfter: printIr } : {}),
    ...(options.timing ? { timing: true } : {}),
    ...(printIr || options.timing ? { log: (t: string) => process.stderr.write(`${t}\n`) } : {}),
  });
  return { roots: [resolve(file)], result };
}

/**
 * `--watch`: compile, then recompile whenever a file the build read changes: the `.ramp` file (or the config
 * file and its `.ramp` files) and every backbone and weights file (`CompiledArtifact.inputs`). Debounced, so an
 * editor's several writes give one compile; diagnostics are printed each time; a failed build keeps watching
 * what the last one read. Ends cleanly (exit 0) on SIGINT or SIGTERM.
 */
async function watchMode(file: string | undefined, options: CompileCommandOptions): Promise<number> {
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(rebuild);
    }, 150);
  };
  const rebuild = async () => {
    let built: Awaited<ReturnType<typeof compileOnce>>;
    try {
      built = await compileOnce(file, options);
    } catch (error) {
      // A bug in Offramp: report it like any command does, and keep watching for the next change.
      const d = diagnostic('OR9001', { detail: (error as Error).message ?? String(error) });
      built = { roots: [...watchers.keys()], result: { artifacts: [], diagnostics: [d] } };
    }
    const { result, roots } = built;
    report(result, options);
    const inputs = result.artifacts.flatMap((a) => a.inputs);
    const wanted = new Set([...roots, ...inputs, ...(hasErrors(result.diagnostics) ? watchers.keys() : [])]);
    // Re-watch everything: an editor that saves by renaming leaves the old watcher on a deleted file.
    for (const w of watchers.values()) w.close();
    watchers.clear();
    for (const path of wanted) {
      if (!existsSync(path)) continue;
      try {
        const w = watch(path, () => schedule());
        w.on('error', () => schedule());
        watchers.set(path, w);
      } catch {
        // Gone between the check and the watch (a rename in progress): the next build watches it again.
      }
    }
    if (!options.json) process.stdout.write(`watching ${watchers.size} file(s); Ctrl-C to stop\n`);
  };
  await rebuild();
  return new Promise((done) => {
    const stop = () => {
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      void running.then(() => done(ExitCode.ok));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function compileCommand(
  file: string | undefined,
  options: CompileCommandOptions,
): Promise<number> {
  if (!file && !configPath(options)) {
    // Neither a file nor a config: the command line is incomplete (a usage error, like a missing argument).
    report((await compileOnce(file, options)).result, options);
    return ExitCode.usage;
  }
  if (options.watch) return watchMode(file, options);
  return report((await compileOnce(file, options)).result, options);
}
