import type { Diagnostic, SourceSpan } from './types.js';

export interface PrintOptions {
  /** File contents by path, used to draw code frames. Files not given are printed without a frame. */
  readonly sources?: ReadonlyMap<string, string>;
  readonly color?: boolean;
}

const paint = (on: boolean, code: string, text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

function location(d: Pick<Diagnostic, 'span' | 'graph'>): string {
  if (d.span) return `${d.span.file}:${d.span.start.line}:${d.span.start.column}`;
  if (d.graph) {
    const where = d.graph.node
      ? ` (node '${d.graph.node}')`
      : d.graph.tensor
        ? ` (tensor '${d.graph.tensor}')`
        : '';
    return `${d.graph.file}${where}`;
  }
  return '';
}

/** Draws the span's first line with a caret underline, e.g. `  3 | policy pabee { patience: 0 }`. */
export function codeFrame(span: SourceSpan, source: string, color = false): string {
  const lines = source.split(/\r\n|\r|\n/);
  const lineText = lines[span.start.line - 1];
  if (lineText === undefined) return '';
  const gutter = String(span.start.line).length;
  const endColumn =
    span.end.line === span.start.line
      ? Math.max(span.end.column, span.start.column + 1)
      : lineText.length + 1;
  const width = Math.max(1, endColumn - span.start.column);
  const pad = ' '.repeat(gutter);
  const caretLead = lineText.slice(0, span.start.column - 1).replace(/[^\t]/g, ' ');
  return [
    `${pad} |`,
    `${span.start.line} | ${lineText}`,
    `${pad} | ${caretLead}${paint(color, '31;1', '^'.repeat(width))}`,
  ].join('\n');
}

/** Human-readable form: `file:line:col: error OR2001: message`, a code frame, related notes, the suggestion. */
export function formatDiagnostic(d: Diagnostic, options: PrintOptions = {}): string {
  const color = options.color ?? false;
  const sevColor = d.severity === 'error' ? '31;1' : d.severity === 'warning' ? '33;1' : '36;1';
  const where = location(d);
  const head = `${where ? `${where}: ` : ''}${paint(color, sevColor, `${d.severity} ${d.code}`)}: ${d.message}`;
  const parts = [head];
  const source = d.span ? options.sources?.get(d.span.file) : undefined;
  if (d.span && source !== undefined) parts.push(codeFrame(d.span, source, color));
  for (const r of d.related) {
    const at = location(r);
    parts.push(`  note: ${at ? `${at}: ` : ''}${r.message}`);
  }
  if (d.suggestion !== undefined) parts.push(`  help: ${d.suggestion}`);
  return parts.join('\n');
}

export function formatDiagnostics(ds: readonly Diagnostic[], options: PrintOptions = {}): string {
  return ds.map((d) => formatDiagnostic(d, options)).join('\n\n');
}

/** Stable machine form for `--json`: one object per diagnostic, keys in a fixed order. */
export function diagnosticsToJson(ds: readonly Diagnostic[]): object[] {
  return ds.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    ...(d.span ? { span: d.span } : {}),
    ...(d.graph ? { graph: d.graph } : {}),
    related: d.related,
    ...(d.suggestion !== undefined ? { suggestion: d.suggestion } : {}),
  }));
}
