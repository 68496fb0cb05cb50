/**
 * Typed parameters: each block declares its parameters as a table of decoders. Decoding reports unknown
 * names (with did-you-mean), duplicates (pointing at both) and values of the wrong type; ranges and
 * cross-parameter rules are left to the checks.
 */
import { closestMatch, type Diagnostic, diagnostic, type SourceSpan } from '../diagnostics/index.js';
import type { Param, PathLiteral, Typed, Value } from './ast.js';

export interface DecodeContext {
  readonly diagnostics: Diagnostic[];
  resolvePath(written: string, loc: SourceSpan): PathLiteral;
}

/** Returns the decoded value, or undefined after reporting why it could not be decoded. */
export type Decoder<T> = (value: Value, param: Param, ctx: DecodeContext) => T | undefined;

function describe(value: Value): string {
  switch (value.kind) {
    case 'String':
      return 'a string';
    case 'Number':
      return `the number ${value.raw}`;
    case 'Name':
      return `'${value.value}'`;
    case 'List':
      return 'a list';
    case 'Call':
      return `${value.callee.value}(...)`;
    case 'Weights':
      return 'a weights clause';
  }
}

function wrongType(expected: string, value: Value, param: Param, ctx: DecodeContext): undefined {
  ctx.diagnostics.push(
    diagnostic('OR2003', { name: param.name, expected, found: describe(value) }, { span: value.loc }),
  );
  return undefined;
}

export const numberValue: Decoder<number> = (value, param, ctx) =>
  value.kind === 'Number' ? value.value : wrongType('a number', value, param, ctx);

export const stringValue: Decoder<string> = (value, param, ctx) =>
  value.kind === 'String' ? value.value : wrongType('a string', value, param, ctx);

export const pathValue: Decoder<PathLiteral> = (value, param, ctx) =>
  value.kind === 'String'
    ? ctx.resolvePath(value.value, value.loc)
    : wrongType('a path string', value, param, ctx);

export const booleanValue: Decoder<boolean> = (value, param, ctx) => {
  if (value.kind === 'Name' && (value.value === 'true' || value.value === 'false'))
    return value.value === 'true';
  return wrongType('true or false', value, param, ctx);
};

export const numberListValue: Decoder<readonly number[]> = (value, param, ctx) => {
  if (value.kind !== 'List') return wrongType('a list of numbers', value, param, ctx);
  const numbers: number[] = [];
  for (const item of value.items) {
    if (item.kind !== 'Number') return wrongType('a list of numbers', item, param, ctx);
    numbers.push(item.value);
  }
  return numbers;
};

/** A bare word from a fixed set; anything else is reported with the closest option. */
export function enumValue<T extends string>(what: string, options: readonly T[]): Decoder<T> {
  return (value, param, ctx) => {
    if (value.kind !== 'Name') return wrongType(`one of ${options.join(', ')}`, value, param, ctx);
    if ((options as readonly string[]).includes(value.value)) return value.value as T;
    reportUnknownOption(value.value, what, options, value.loc, ctx.diagnostics);
    return undefined;
  };
}

export function reportUnknownOption(
  word: string,
  what: string,
  options: readonly string[],
  span: SourceSpan,
  diagnostics: Diagnostic[],
): void {
  const near = closestMatch(word, options);
  diagnostics.push(
    diagnostic(
      'OR2009',
      { value: word, what, known: options.join(', ') },
      { span, ...(near ? { suggestion: `did you mean '${near}'?` } : {}) },
    ),
  );
}

export type ParamTable = Readonly<Record<string, Decoder<unknown>>>;

/** The typed fields for a table: `{ patience: Typed<number>, ... }`, keyed by the parameter's field name. */
export type DecodedParams = Record<string, Typed<unknown>>;

/** Parameter names are snake_case in `.ramp` files and camelCase in the AST. */
export function fieldName(param: string): string {
  return param.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Decodes `params` against `table`. Returns the typed fields and the params that were accepted (unknown
 * names are dropped after being reported).
 */
export function decodeParams(
  owner: string,
  params: readonly Param[],
  table: ParamTable,
  ctx: DecodeContext,
): { fields: DecodedParams; accepted: Param[] } {
  const fields: DecodedParams = {};
  const seen = new Map<string, Param>();
  const accepted: Param[] = [];
  const known = Object.keys(table);
  for (const param of params) {
    const decode = table[param.name];
    if (!decode) {
      const near = closestMatch(param.name, known);
      ctx.diagnostics.push(
        diagnostic(
          'OR2002',
          { owner, name: param.name, known: known.length > 0 ? known.join(', ') : 'none' },
          { span: param.nameLoc, ...(near ? { suggestion: `did you mean '${near}'?` } : {}) },
        ),
      );
      continue;
    }
    const first = seen.get(param.name);
    if (first) {
      ctx.diagnostics.push(
        diagnostic(
          'OR2005',
          { what: `'${param.name}'` },
          { span: param.nameLoc, related: [{ message: 'first declared here', span: first.nameLoc }] },
        ),
      );
      continue;
    }
    seen.set(param.name, param);
    accepted.push(param);
    const value = decode(param.value, param, ctx);
    if (value !== undefined) {
      fields[fieldName(param.name)] = { value, loc: param.loc, valueLoc: param.value.loc, param };
    }
  }
  return { fields, accepted };
}
