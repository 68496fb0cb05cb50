import { catalog } from './catalog.js';
import type { Diagnostic, GraphLocation, RelatedInformation, Severity, SourceSpan } from './types.js';

export interface ReportOptions {
  readonly span?: SourceSpan;
  readonly graph?: GraphLocation;
  readonly related?: readonly RelatedInformation[];
  readonly suggestion?: string;
  /** Overrides the catalog's default severity (e.g. a target setting turns a warning into an error). */
  readonly severity?: Severity;
}

/** Fills `{name}` placeholders; a missing argument is left visible rather than silently dropped. */
export function formatTemplate(template: string, args: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in args ? String(args[key]) : whole));
}

/** Builds a diagnostic from a catalog code. Unknown codes are an internal bug, so they throw. */
export function diagnostic(
  code: string,
  args: Readonly<Record<string, string | number>> = {},
  options: ReportOptions = {},
): Diagnostic {
  const entry = catalog.get(code);
  if (!entry) throw new Error(`unknown diagnostic code ${code}`);
  return {
    code,
    severity: options.severity ?? entry.severity,
    message: formatTemplate(entry.message, args),
    ...(options.span ? { span: options.span } : {}),
    ...(options.graph ? { graph: options.graph } : {}),
    related: options.related ?? [],
    ...(options.suggestion !== undefined ? { suggestion: options.suggestion } : {}),
  };
}
