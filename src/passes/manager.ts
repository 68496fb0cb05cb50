import { join, resolve } from 'node:path';
import { type Diagnostic, diagnostic, diagnosticsToJson, hasErrors } from '../diagnostics/index.js';
import { writeFileAtomic } from '../io/index.js';
import { layoutModelFiles, type Model, printModel, verifyModel } from '../ir/index.js';
import {
  invocation,
  type Pass,
  type PassContext,
  type PassInvocation,
  type PassOptions,
  type PassRegistry,
  type PassResult,
  parsePipeline,
  pipelineText,
} from './pass.js';

export interface PassManagerOptions<Context extends PassContext> {
  /** Resolves a pipeline given as text (`'a,b,c'`). */
  readonly registry?: PassRegistry<Context>;
  /** Run the IR verifier after every pass (default true; the graphs are small and correctness matters). */
  readonly verifyEach?: boolean;
  /** `--debug`: verify after every pass whatever `verifyEach` says. */
  readonly debug?: boolean;
  /** Print the IR after these passes (`'all'` for every pass) through `log`. */
  readonly printIrAfter?: readonly string[] | 'all';
  /** Log a per-pass timing table through `log` at the end. */
  readonly timing?: boolean;
  readonly log?: (text: string) => void;
  /** Where a failing pipeline writes its reproducer; none is written without it. */
  readonly reproducerDir?: string;
  /** The model's bytes as the pipeline received them; otherwise they are encoded before the first pass. */
  readonly inputBytes?: Uint8Array;
  /** Facts that hold before the first pass. */
  readonly facts?: readonly string[];
  /** Stop after this pass. */
  readonly stopAfter?: string;
  /** The model's file, for diagnostics. */
  readonly file?: string;
}

export interface PassRun {
  readonly name: string;
  readonly options: PassOptions;
  readonly modified: boolean;
  readonly statistics: Readonly<Record<string, number>>;
  readonly ms: number;
}

export interface PassManagerResult {
  /** True when every pass ran, no error was reported and (with verifyEach) the IR verified. */
  readonly ok: boolean;
  readonly runs: readonly PassRun[];
  /** Facts established by the passes that ran (plus the initial ones). */
  readonly facts: ReadonlySet<string>;
  readonly pipeline: string;
  /** The pass that threw or broke the IR. */
  readonly failedPass?: string;
  /** The reproducer's directory, when one was written. */
  readonly reproducer?: string;
}

/** Requires that no earlier pass (or initial fact) ensures: OR4010 each, before anything runs. */
function unmetRequirements<Context extends PassContext>(
  passes: readonly Pass<Context>[],
  initial: readonly string[],
): Diagnostic[] {
  const facts = new Set(initial);
  const problems: Diagnostic[] = [];
  for (const pass of passes) {
    for (const fact of pass.requires)
      if (!facts.has(fact)) problems.push(diagnostic('OR4010', { pass: pass.name, fact }));
    for (const fact of pass.ensures) facts.add(fact);
  }
  return problems;
}

/**
 * Writes what it takes to replay a failure: the input model, the pipeline string, the diagnostics and the
 * IR as the failing pass left it. `offramp` can rerun `input.onnx` through `pipeline.txt`.
 */
async function writeReproducer(
  dir: string,
  input: Uint8Array,
  inputIr: string,
  pipeline: string,
  failedPass: string,
  diagnostics: readonly Diagnostic[],
  model: Model,
): Promise<void> {
  await writeFileAtomic(join(dir, 'input.onnx'), input);
  await writeFileAtomic(join(dir, 'input.ir'), inputIr);
  await writeFileAtomic(join(dir, 'pipeline.txt'), `${pipeline}\n`);
  await writeFileAtomic(
    join(dir, 'diagnostics.json'),
    `${JSON.stringify({ failedPass, diagnostics: diagnosticsToJson(diagnostics) }, null, 2)}\n`,
  );
  let after: string;
  try {
    after = printModel(model);
  } catch (error) {
    after = `// the IR could not be printed: ${(error as Error).message}\n`;
  }
  await writeFileAtomic(join(dir, `after-${failedPass}.ir`), after);
}

function timingTable(runs: readonly PassRun[]): string {
  const total = runs.reduce((s, r) => s + r.ms, 0);
  const width = Math.max(4, ...runs.map((r) => r.name.length));
  const rows = runs.map(
    (r) =>
      `  ${r.name.padEnd(width)}  ${r.ms.toFixed(2).padStart(9)} ms  ${((100 * r.ms) / (total || 1)).toFixed(1).padStart(5)}%`,
  );
  return [`// pass timing`, ...rows, `  ${'total'.padEnd(width)}  ${total.toFixed(2).padStart(9)} ms`].join(
    '\n',
  );
}

/**
 * Runs a pipeline over a model in place: checks every pass's `requires` against the facts earlier passes
 * `ensure`, times each pass, verifies the IR after each one, prints it on request, and on a failure (a
 * pass throws, or leaves IR the verifier rejects) writes a reproducer. User errors a pass reports in
 * `ctx.diagnostics` stop the pipeline without a reproducer: they are not compiler bugs.
 */
export async function runPasses<Context extends PassContext>(
  model: Model,
  pipeline: readonly (Pass<Context> | PassInvocation<Context>)[] | string,
  ctx: Context,
  options: PassManagerOptions<Context> = {},
): Promise<PassManagerResult> {
  const log = options.log ?? (() => {});
  let steps: readonly PassInvocation<Context>[];
  if (typeof pipeline === 'string') {
    const parsed = parsePipeline(pipeline, options.registry ?? new Map());
    ctx.diagnostics.push(...parsed.diagnostics);
    steps = parsed.steps;
  } else {
    steps = pipeline.map(invocation);
  }
  const passes = steps.map((s) => s.pass);
  const text = pipelineText(steps);
  const facts = new Set(options.facts ?? []);
  const runs: PassRun[] = [];
  const stop = (extra: Partial<PassManagerResult> = {}): PassManagerResult => {
    if (options.timing) log(timingTable(runs));
    return { ok: false, runs, facts, pipeline: text, ...extra };
  };
  if (hasErrors(ctx.diagnostics)) return stop();
  const unmet = unmetRequirements(passes, options.facts ?? []);
  if (unmet.length > 0) {
    ctx.diagnostics.push(...unmet);
    return stop();
  }

  const input =
    options.reproducerDir === undefined
      ? undefined
      : (options.inputBytes ?? layoutModelFiles(model, resolve(options.reproducerDir)).model);
  const inputIr = options.reproducerDir === undefined ? '' : printModel(model);
  const fail = async (pass: string, problems: Diagnostic[]): Promise<PassManagerResult> => {
    if (input === undefined || options.reproducerDir === undefined) {
      ctx.diagnostics.push(...problems);
      return stop({ failedPass: pass });
    }
    const dir = resolve(options.reproducerDir);
    ctx.diagnostics.push(...problems);
    await writeReproducer(dir, input, inputIr, text, pass, problems, model);
    return stop({ failedPass: pass, reproducer: dir });
  };
  const where = options.reproducerDir === undefined ? '(none written)' : resolve(options.reproducerDir);
  const verify = options.debug === true || (options.verifyEach ?? true);
  const print = options.printIrAfter;

  for (const { pass, options: passOptions } of steps) {
    const started = performance.now();
    let result: PassResult;
    try {
      result = pass.run(model, ctx, passOptions);
    } catch (error) {
      const detail = `pass '${pass.name}' threw ${(error as Error).stack ?? String(error)}; reproducer: ${where}`;
      return fail(pass.name, [
        diagnostic('OR9001', { detail }, options.file ? { graph: { file: options.file } } : {}),
      ]);
    }
    if (result.diagnostics) ctx.diagnostics.push(...result.diagnostics);
    runs.push({
      name: pass.name,
      options: passOptions,
      modified: result.modified,
      statistics: result.statistics,
      ms: performance.now() - started,
    });
    if (hasErrors(ctx.diagnostics)) return stop();
    for (const fact of pass.ensures) facts.add(fact);
    if (verify) {
      const problems = verifyModel(model, `${options.file ?? '<model>'} (after ${pass.name})`);
      if (problems.length > 0) {
        const summary = diagnostic('OR4011', { pass: pass.name, count: problems.length, reproducer: where });
        return fail(pass.name, [summary, ...problems]);
      }
    }
    if (print === 'all' || print?.includes(pass.name)) log(`// IR after ${pass.name}\n${printModel(model)}`);
    if (options.stopAfter === pass.name) break;
  }
  if (options.timing) log(timingTable(runs));
  return { ok: true, runs, facts, pipeline: text };
}
