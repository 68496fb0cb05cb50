/**
 * Text → tokens → CST → AST. Lexer and parser errors become diagnostics of the same shape as every other
 * phase's; the AST is built only from a CST the parser accepted, so later phases never see a recovered tree.
 */
import path from 'node:path';
import type { ILexingError, IRecognitionException, IToken } from 'chevrotain';
import { closestMatch, type Diagnostic, diagnostic, type SourceSpan } from '../diagnostics/index.js';
import type { RampFile } from './ast.js';
import { buildAst } from './build-ast.js';
import type { FileCstNode } from './generated/cst-types.js';
import { type ParseErrorPayload, rampParser } from './grammar.js';
import { positionAt, tokenSpan } from './span.js';
import { rampLexer, UnterminatedString } from './tokens.js';

/** Deeper nesting is certainly a mistake, and would otherwise exhaust the recursive-descent parser's stack. */
export const MAX_NESTING = 64;

export interface ParseResult {
  /** Present when the file is syntactically valid (semantic diagnostics may still be errors). */
  readonly ast?: RampFile;
  readonly diagnostics: Diagnostic[];
}

/** Shows a short, printable excerpt of offending text. */
function excerpt(text: string): string {
  const shown = text.length > 24 ? `${text.slice(0, 24)}…` : text;
  let out = '';
  for (const c of shown) {
    const code = c.charCodeAt(0);
    const invisible = code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
    out += invisible ? `\\u{${code.toString(16)}}` : c;
  }
  return out;
}

function lexingDiagnostic(error: ILexingError, source: string, file: string): Diagnostic {
  const start = { offset: error.offset, line: error.line ?? 1, column: error.column ?? 1 };
  const end = positionAt(source, error.offset + error.length);
  const sameLine =
    end.line === start.line ? end : { ...start, offset: start.offset + 1, column: start.column + 1 };
  return diagnostic(
    'OR1001',
    { text: excerpt(source.substr(error.offset, error.length)) },
    { span: { file, start, end: sameLine } },
  );
}

function describeExpected(expected: readonly string[]): string {
  if (expected.length === 0) return 'something else';
  if (expected.length === 1) return expected[0]!;
  return `one of ${expected.join(', ')}`;
}

function parsingDiagnostic(error: IRecognitionException, source: string, file: string): Diagnostic {
  let payload: ParseErrorPayload;
  try {
    payload = JSON.parse(error.message) as ParseErrorPayload;
  } catch {
    payload = { kind: 'mismatch', expected: [] };
  }
  const token = error.token;
  const expected = describeExpected(payload.expected);
  if (token.tokenType.name === 'EOF' || Number.isNaN(token.startOffset)) {
    const at = positionAt(source, source.length);
    return diagnostic('OR1005', { expected }, { span: { file, start: at, end: at } });
  }
  const span: SourceSpan = tokenSpan(file, token);
  const keywords = payload.expected.filter((e) => /^'[a-z_]+'$/.test(e)).map((e) => e.slice(1, -1));
  const near = /^[A-Za-z_]/.test(token.image) ? closestMatch(token.image, keywords) : undefined;
  return diagnostic(
    'OR1004',
    { expected, found: `'${excerpt(token.image)}'` },
    { span, ...(near && near !== token.image ? { suggestion: `did you mean '${near}'?` } : {}) },
  );
}

function isTopLevelCascade(error: IRecognitionException): boolean {
  try {
    const payload = JSON.parse(error.message) as ParseErrorPayload;
    return payload.kind === 'trailing' || payload.rule === 'file';
  } catch {
    return false;
  }
}

/** Reports the first place where (), [] or {} nest deeper than `MAX_NESTING`. */
function nestingDiagnostic(tokens: readonly IToken[], file: string): Diagnostic | undefined {
  let depth = 0;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (name === 'LBrace' || name === 'LParen' || name === 'LBracket') depth++;
    else if (name === 'RBrace' || name === 'RParen' || name === 'RBracket') depth = Math.max(0, depth - 1);
    if (depth > MAX_NESTING)
      return diagnostic('OR1008', { limit: MAX_NESTING }, { span: tokenSpan(file, t) });
  }
  return undefined;
}

/** Stable order by position, so lexer, parser and builder diagnostics read top to bottom. */
export function bySourceOrder(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, k) => ({ d, k }))
    .sort((a, b) => (a.d.span?.start.offset ?? -1) - (b.d.span?.start.offset ?? -1) || a.k - b.k)
    .map(({ d }) => d);
}

/** The directory relative paths are resolved against: the `.ramp` file's own. */
export function directoryOf(file: string): string {
  return path.dirname(path.resolve(file));
}

export function parseRamp(source: string, file: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = rampLexer.tokenize(source);
  for (const error of lexed.errors) diagnostics.push(lexingDiagnostic(error, source, file));
  const tokens: IToken[] = [];
  for (const token of lexed.tokens) {
    if (token.tokenType === UnterminatedString)
      diagnostics.push(diagnostic('OR1002', {}, { span: tokenSpan(file, token) }));
    else tokens.push(token);
  }
  const tooDeep = nestingDiagnostic(tokens, file);
  if (tooDeep) return { diagnostics: bySourceOrder([...diagnostics, tooDeep]) };

  rampParser.input = tokens;
  const cst = rampParser.file() as FileCstNode;
  const seen = new Set<number>();
  for (const error of rampParser.errors) {
    // Recovery can report twice at one token; once is enough. After a first error, "expected 'model'" at the
    // top level is the parser resynchronising on the rest of a model it gave up on, not a new mistake.
    const at = error.token.startOffset;
    if (seen.has(at) || (seen.size > 0 && isTopLevelCascade(error))) continue;
    seen.add(at);
    diagnostics.push(parsingDiagnostic(error, source, file));
  }
  if (rampParser.errors.length > 0) return { diagnostics: bySourceOrder(diagnostics) };

  const comments = (lexed.groups.comments ?? []) as IToken[];
  const built = buildAst(cst, source, comments, file, directoryOf(file));
  return { ast: built.ast, diagnostics: bySourceOrder([...diagnostics, ...built.diagnostics]) };
}
