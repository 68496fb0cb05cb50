import type { CstNode, IToken } from 'chevrotain';
import type { SourcePosition, SourceSpan } from '../diagnostics/index.js';

/**
 * Chevrotain positions are inclusive and 1-based for lines and columns; our spans are half-open, so the
 * end is one past the last character.
 */
export function tokenSpan(file: string, token: IToken): SourceSpan {
  return {
    file,
    start: { offset: token.startOffset, line: token.startLine ?? 1, column: token.startColumn ?? 1 },
    end: {
      offset: (token.endOffset ?? token.startOffset) + 1,
      line: token.endLine ?? token.startLine ?? 1,
      column: (token.endColumn ?? token.startColumn ?? 1) + 1,
    },
  };
}

export function nodeSpan(file: string, node: CstNode): SourceSpan {
  const l = node.location!;
  return {
    file,
    start: { offset: l.startOffset, line: l.startLine ?? 1, column: l.startColumn ?? 1 },
    end: { offset: (l.endOffset ?? l.startOffset) + 1, line: l.endLine ?? 1, column: (l.endColumn ?? 0) + 1 },
  };
}

export function joinSpans(first: SourceSpan, last: SourceSpan): SourceSpan {
  return { file: first.file, start: first.start, end: last.end };
}

/** A span covering characters [from, to) of a single-line token, e.g. one escape inside a string. */
export function subSpan(span: SourceSpan, from: number, to: number): SourceSpan {
  const at = (k: number): SourcePosition => ({
    offset: span.start.offset + k,
    line: span.start.line,
    column: span.start.column + k,
  });
  return { file: span.file, start: at(from), end: at(to) };
}

/** Line and column of a UTF-16 offset, for positions Chevrotain does not give (e.g. end of input). */
export function positionAt(source: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let k = 0; k < end; k++) {
    const c = source.charCodeAt(k);
    if (c === 10 || (c === 13 && source.charCodeAt(k + 1) !== 10)) {
      line++;
      lineStart = k + 1;
    }
  }
  return { offset: end, line, column: end - lineStart + 1 };
}
