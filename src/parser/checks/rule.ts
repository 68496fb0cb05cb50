import type { Diagnostic, SourceSpan } from '../../diagnostics/index.js';
import { diagnostic } from '../../diagnostics/index.js';
import type { ModelDecl, RampFile } from '../ast.js';

export interface CheckOptions {
  /** The backbone's layer count, when known (the linker knows it; `layers cuts [...]` implies it). */
  readonly layerCount?: number;
}

export interface CheckContext {
  readonly file: RampFile;
  readonly options: CheckOptions;
  /** The layer count from the options, or from an explicit cut list. */
  layerCount(model: ModelDecl): number | undefined;
  /**
   * True when building this model's AST already reported an error (e.g. an unknown policy name, whose block
   * was then dropped); "missing block" rules stay quiet there rather than repeat the same mistake.
   */
  hadBuildErrors(model: ModelDecl): boolean;
  report(d: Diagnostic): void;
}

/** One semantic rule; rules are independent and run together over each model. */
export interface CheckRule {
  readonly name: string;
  check(model: ModelDecl, ctx: CheckContext): void;
}

/** `what` is declared twice: the error points at the second one, with a note at the first. */
export function declaredTwice(what: string, second: SourceSpan, first: SourceSpan): Diagnostic {
  return diagnostic(
    'OR2005',
    { what },
    { span: second, related: [{ message: 'first declared here', span: first }] },
  );
}
