import { closestMatch, type Diagnostic, diagnostic } from '../diagnostics/index.js';
import type { Model } from '../ir/index.js';

/** What a pass reports: whether it changed the model, named counters, and user-facing problems. */
export interface PassResult {
  readonly modified: boolean;
  /** Named counters, e.g. `{ 'removed-nodes': 3 }`. */
  readonly statistics: Readonly<Record<string, number>>;
  /** Problems for the user (an error stops the pipeline, without a reproducer: not a compiler bug). */
  readonly diagnostics?: readonly Diagnostic[];
}

/** The context every pass shares with the manager: where user-facing problems go. */
export interface PassContext {
  readonly diagnostics: Diagnostic[];
}

/** A pass option's value: what `name{key=value}` in a pipeline string can set. */
export type PassOptionValue = string | number | boolean;
export type PassOptions = Readonly<Record<string, PassOptionValue>>;

/**
 * A pass declared as data, as MLIR's pass definitions and onnx-ir's passes are: a kebab-case name equal to
 * its file name, the facts it needs and the facts it establishes, and typed options with their defaults.
 * `CompilerPass` is `Pass<CompileContext>`.
 *
 * `run` takes the context before the options so that passes without options stay `run(model, ctx)`.
 * Passes keep no state of their own between runs: everything lives in the model and the context.
 */
export interface Pass<Context extends PassContext = PassContext, Options extends PassOptions = PassOptions> {
  readonly name: string;
  readonly summary: string;
  readonly requires: readonly string[];
  readonly ensures: readonly string[];
  /** Every option the pass accepts, with its default; the default's type is the option's type. */
  readonly defaults?: Options;
  /**
   * The manager always passes the options, defaults filled in; a direct call may leave them out, and the
   * pass then runs with its defaults.
   */
  run(model: Model, ctx: Context, options?: Options): PassResult;
}

/** One step of a pipeline: a pass and the options it runs with (defaults filled in). */
export interface PassInvocation<Context extends PassContext = PassContext> {
  readonly pass: Pass<Context>;
  readonly options: PassOptions;
}

export type PassRegistry<Context extends PassContext> = ReadonlyMap<string, Pass<Context>>;

/** Indexes passes by name; two passes with one name are a bug in the compiler, so that throws. */
export function passRegistry<Context extends PassContext>(
  passes: readonly Pass<Context>[],
): PassRegistry<Context> {
  const registry = new Map<string, Pass<Context>>();
  for (const pass of passes) {
    if (registry.has(pass.name)) throw new Error(`two passes are named '${pass.name}'`);
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(pass.name))
      throw new Error(`pass name '${pass.name}' is not kebab-case`);
    registry.set(pass.name, pass);
  }
  return registry;
}

/** A pass with its defaults, or an invocation as is. */
export function invocation<Context extends PassContext>(
  step: Pass<Context> | PassInvocation<Context>,
): PassInvocation<Context> {
  return 'pass' in step ? step : { pass: step, options: { ...(step.defaults ?? {}) } };
}

/**
 * The pipeline string of a pass list, as `parsePipeline` reads it: names joined by commas, options that
 * differ from the pass's defaults in braces (`eliminate-dead-nodes{initializers=false}`).
 */
export function pipelineText<Context extends PassContext>(
  steps: readonly (Pass<Context> | PassInvocation<Context>)[],
): string {
  return steps
    .map((step) => {
      const { pass, options } = invocation(step);
      const changed = Object.entries(options).filter(([key, value]) => pass.defaults?.[key] !== value);
      if (changed.length === 0) return pass.name;
      return `${pass.name}{${changed.map(([key, value]) => `${key}=${value}`).join(' ')}}`;
    })
    .join(',');
}

/** Splits `'a, b{x=1 y=2}, c'` at the commas outside braces; undefined when a brace is unbalanced. */
function splitSteps(text: string): string[] | undefined {
  const steps: string[] = [];
  let depth = 0;
  let start = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c === '{') depth++;
    else if (c === '}' && --depth < 0) return undefined;
    else if (c === ',' && depth === 0) {
      steps.push(text.slice(start, k));
      start = k + 1;
    }
  }
  if (depth !== 0) return undefined;
  steps.push(text.slice(start));
  return steps.map((s) => s.trim()).filter((s) => s !== '');
}

/** Converts option text to the type of the option's default; a string says what is wrong. */
function coerce(text: string, fallback: PassOptionValue): PassOptionValue | { problem: string } {
  switch (typeof fallback) {
    case 'number': {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? n : { problem: `expects a number, got '${text}'` };
    }
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      return { problem: `expects true or false, got '${text}'` };
    default:
      return text;
  }
}

/** Parses the `{key=value ...}` part of a step against the pass's declared options (OR4013 on misuse). */
function parseOptions<Context extends PassContext>(
  pass: Pass<Context>,
  body: string,
  diagnostics: Diagnostic[],
): PassOptions {
  const options: Record<string, PassOptionValue> = { ...(pass.defaults ?? {}) };
  for (const item of body.split(/[\s,]+/).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const fallback = pass.defaults?.[key];
    if (fallback === undefined) {
      const suggestion = closestMatch(key, Object.keys(pass.defaults ?? {}));
      diagnostics.push(
        diagnostic(
          'OR4013',
          {
            pass: pass.name,
            reason: `it has no option '${key}' (options: ${Object.keys(pass.defaults ?? {}).join(', ') || 'none'})`,
          },
          suggestion ? { suggestion } : {},
        ),
      );
      continue;
    }
    // A bare boolean option means true: `eliminate-dead-nodes{initializers}`.
    const value = eq < 0 && typeof fallback === 'boolean' ? true : coerce(item.slice(eq + 1), fallback);
    if (typeof value === 'object') {
      diagnostics.push(diagnostic('OR4013', { pass: pass.name, reason: `option '${key}' ${value.problem}` }));
      continue;
    }
    options[key] = value;
  }
  return options;
}

/**
 * Resolves `'a,b{opt=1},c'` against a registry. Unknown passes get a did-you-mean (OR4009); unknown or
 * ill-typed options, and unbalanced braces, give OR4013.
 */
export function parsePipeline<Context extends PassContext>(
  text: string,
  registry: PassRegistry<Context>,
): { passes: Pass<Context>[]; steps: PassInvocation<Context>[]; diagnostics: Diagnostic[] } {
  const steps: PassInvocation<Context>[] = [];
  const diagnostics: Diagnostic[] = [];
  const parts = splitSteps(text);
  if (!parts) {
    diagnostics.push(diagnostic('OR4013', { pass: text, reason: 'the pipeline has unbalanced braces' }));
    return { passes: [], steps, diagnostics };
  }
  for (const part of parts) {
    const match = /^([^{}\s]+)\s*(?:\{([^{}]*)\})?$/.exec(part);
    if (!match) {
      diagnostics.push(diagnostic('OR4013', { pass: part, reason: 'expected name or name{key=value ...}' }));
      continue;
    }
    const [, name, body] = match as unknown as [string, string, string | undefined];
    const pass = registry.get(name);
    if (!pass) {
      const suggestion = closestMatch(name, registry.keys());
      diagnostics.push(diagnostic('OR4009', { name }, suggestion ? { suggestion } : {}));
      continue;
    }
    steps.push({ pass, options: parseOptions(pass, body ?? '', diagnostics) });
  }
  return { passes: steps.map((s) => s.pass), steps, diagnostics };
}
