import { closestMatch, type Diagnostic, diagnostic } from '../diagnostics/index.js';
import type { Model } from '../ir/index.js';

/** What a pass reports: whether it changed the model, and named counters (`removed-initializers: 3`). */
export interface PassResult {
  readonly modified: boolean;
  readonly statistics: Readonly<Record<string, number>>;
}

/** The context every pass shares with the manager: where user-facing problems go. */
export interface PassContext {
  readonly diagnostics: Diagnostic[];
}

/**
 * A pass declared as data, as MLIR's pass definitions and onnx-ir's passes are: a kebab-case name equal to
 * its file name, the facts it needs and the facts it establishes. `CompilerPass` is `Pass<CompileContext>`.
 */
export interface Pass<Context extends PassContext = PassContext> {
  readonly name: string;
  readonly summary: string;
  readonly requires: readonly string[];
  readonly ensures: readonly string[];
  run(model: Model, ctx: Context): PassResult;
}

export type PassRegistry<Context extends PassContext> = ReadonlyMap<string, Pass<Context>>;

/** Indexes passes by name; two passes with one name are a bug in the compiler, so that throws. */
export function passRegistry<Context extends PassContext>(
  passes: readonly Pass<Context>[],
): PassRegistry<Context> {
  const registry = new Map<string, Pass<Context>>();
  for (const pass of passes) {
    if (registry.has(pass.name)) throw new Error(`two passes are named '${pass.name}'`);
    registry.set(pass.name, pass);
  }
  return registry;
}

/** The pipeline string of a pass list: names joined by commas, as `parsePipeline` reads it. */
export function pipelineText(passes: readonly Pass<never>[]): string {
  return passes.map((p) => p.name).join(',');
}

/** Resolves `'a,b,c'` against a registry; unknown names get a did-you-mean (OR4009). */
export function parsePipeline<Context extends PassContext>(
  text: string,
  registry: PassRegistry<Context>,
): { passes: Pass<Context>[]; diagnostics: Diagnostic[] } {
  const passes: Pass<Context>[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const name of text.split(',').map((s) => s.trim())) {
    if (name === '') continue;
    const pass = registry.get(name);
    if (pass) {
      passes.push(pass);
      continue;
    }
    const suggestion = closestMatch(name, registry.keys());
    diagnostics.push(diagnostic('OR4009', { name }, suggestion ? { suggestion } : {}));
  }
  return { passes, diagnostics };
}
