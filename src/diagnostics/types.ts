/** Diagnostics are data: every user-facing problem is one of these, never an exception. */

export type Severity = 'error' | 'warning' | 'note';

/** A position in a text file. `line` and `column` are 1-based; `offset` is a 0-based UTF-16 index. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A half-open range [start, end) in a text file. */
export interface SourceSpan {
  readonly file: string;
  readonly start: SourcePosition;
  readonly end: SourcePosition;
}

/** A place inside a model file: the file, and where there is one, the node or tensor. */
export interface GraphLocation {
  readonly file: string;
  readonly node?: string;
  readonly tensor?: string;
}

export interface RelatedInformation {
  readonly message: string;
  readonly span?: SourceSpan;
  readonly graph?: GraphLocation;
}

export interface Diagnostic {
  /** Stable code from the catalog, e.g. `OR1001`. Never reused for another meaning. */
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span?: SourceSpan;
  readonly graph?: GraphLocation;
  readonly related: readonly RelatedInformation[];
  /** A concrete fix, e.g. a did-you-mean replacement. */
  readonly suggestion?: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
