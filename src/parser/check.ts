import type { Diagnostic } from '../diagnostics/index.js';
import type { CheckedModel, RampFile } from './ast.js';
import { type CheckOptions, checkAst } from './checks/index.js';
import { bySourceOrder, parseRamp } from './parse.js';

export interface CheckRampResult {
  readonly ast?: RampFile;
  /** Present when the file has no errors. */
  readonly models?: readonly CheckedModel[];
  readonly diagnostics: Diagnostic[];
}

/** Parses and checks a `.ramp` source (no file access: linking is `src/link`'s job). */
export function checkRamp(source: string, file: string, options: CheckOptions = {}): CheckRampResult {
  const parsed = parseRamp(source, file);
  if (!parsed.ast) return { diagnostics: parsed.diagnostics };
  const checked = checkAst(parsed.ast, options, parsed.diagnostics);
  const diagnostics = bySourceOrder([...parsed.diagnostics, ...checked.diagnostics]);
  const clean = !diagnostics.some((d) => d.severity === 'error');
  return { ast: parsed.ast, diagnostics, ...(clean && checked.models ? { models: checked.models } : {}) };
}
