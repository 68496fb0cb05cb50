/** String literal escapes: decoding for the AST (reporting bad escapes) and encoding for the formatter. */

export interface EscapeProblem {
  /** Index within the token text (quotes included). */
  readonly from: number;
  readonly to: number;
  readonly text: string;
}

const SIMPLE: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  n: '\n',
  t: '\t',
  r: '\r',
  '/': '/',
};

/** Decodes the text of a string token (with its quotes); bad escapes are kept verbatim and reported. */
export function decodeString(token: string): { value: string; problems: EscapeProblem[] } {
  const body = token.slice(1, token.endsWith('"') && token.length > 1 ? -1 : undefined);
  const problems: EscapeProblem[] = [];
  let value = '';
  for (let k = 0; k < body.length; k++) {
    const c = body[k]!;
    if (c !== '\\') {
      value += c;
      continue;
    }
    const next = body[k + 1];
    if (next !== undefined && next in SIMPLE) {
      value += SIMPLE[next];
      k++;
      continue;
    }
    const hex = next === 'u' ? /^u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))/.exec(body.slice(k + 1)) : null;
    const code = hex ? Number.parseInt(hex[1] ?? hex[2]!, 16) : Number.NaN;
    if (hex && code <= 0x10ffff) {
      value += String.fromCodePoint(code);
      k += hex[0].length;
      continue;
    }
    const length = next === undefined ? 1 : 2;
    problems.push({ from: k + 1, to: k + 1 + length, text: body.slice(k, k + length) });
    value += body.slice(k, k + length);
    k += length - 1;
  }
  return { value, problems };
}

/** The canonical literal for a string value: only `"`, `\` and control characters are escaped. */
export function encodeString(value: string): string {
  let out = '"';
  for (const c of value) {
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (c.charCodeAt(0) < 0x20 || c === '\u007f') out += `\\u{${c.charCodeAt(0).toString(16)}}`;
    else out += c;
  }
  return `${out}"`;
}
