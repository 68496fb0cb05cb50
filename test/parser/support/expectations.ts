/**
 * Reads `# expect-error CODE` annotations (see test/parser/invalid/README.md): each names the line where a
 * diagnostic starts, relative to the annotation.
 */
export interface Expected {
  readonly line: number;
  readonly severity: 'error' | 'warning';
  readonly code: string;
}

const ANNOTATION = /#\s*expect-(error|warning)(?:@(eof|[+-]\d+))?\s+(OR\d{4})\s*$/;

export function expectedDiagnostics(source: string): Expected[] {
  const lines = source.split(/\r\n|\r|\n/);
  const isAnnotation = (k: number) => ANNOTATION.test(lines[k] ?? '');
  const out: Expected[] = [];
  for (const [k, text] of lines.entries()) {
    const m = ANNOTATION.exec(text);
    if (!m) continue;
    const [, severity, offset, code] = m;
    let line: number;
    if (offset === 'eof') line = lines.length;
    else if (offset !== undefined) line = k + 1 + Number(offset);
    else {
      let next = k + 1;
      while (next < lines.length && isAnnotation(next)) next++;
      line = next + 1;
    }
    out.push({ line, severity: severity as Expected['severity'], code: code! });
  }
  return out;
}
