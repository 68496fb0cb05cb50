/**
 * `.ramp` tokens. Keywords come before `Identifier` in the token list and name it as `longer_alt`, so
 * `modelling` lexes as one identifier. Keywords that may also serve as parameter names (`head`, `pool`, ...)
 * belong to the `Word` category; `weights` and `key` do not, because they introduce a weights clause.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/,
  group: Lexer.SKIPPED,
});
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: 'comments' });

/** Any word usable as a name: identifiers and most keywords. */
export const Word = createToken({ name: 'Word', pattern: Lexer.NA, label: 'a name' });
export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [Word],
  label: 'a name',
});

function keyword(word: string, asWord = true): TokenType {
  return createToken({
    name: `${word[0]!.toUpperCase()}${word.slice(1)}Kw`,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    ...(asWord ? { categories: [Word] } : {}),
    label: `'${word}'`,
  });
}

export const Model = keyword('model');
export const Backbone = keyword('backbone');
export const Layers = keyword('layers');
export const Auto = keyword('auto');
export const Cuts = keyword('cuts');
export const Inputs = keyword('inputs');
export const Outputs = keyword('outputs');
export const Exits = keyword('exits');
export const After = keyword('after');
export const Every = keyword('every');
export const All = keyword('all');
export const From = keyword('from');
export const Pool = keyword('pool');
export const Head = keyword('head');
export const Policy = keyword('policy');
export const Target = keyword('target');
export const Sdk = keyword('sdk');
export const Calibration = keyword('calibration');
export const Decode = keyword('decode');
export const Weights = keyword('weights', false);
export const Key = keyword('key', false);

/** A complete string: escapes are decoded (and checked) when the AST is built. */
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  label: 'string',
});
/** A string missing its closing quote on this line; reported and dropped before parsing. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*\\?/,
});
/** No leading-dot or trailing-dot forms, so `1..6` lexes as `1` `..` `6`. */
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/,
  label: 'number',
});

export const DotDot = createToken({ name: 'DotDot', pattern: /\.\./, label: "'..'" });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, label: "'+'" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });

export const keywordTokens: readonly TokenType[] = [
  Model,
  Backbone,
  Layers,
  Auto,
  Cuts,
  Inputs,
  Outputs,
  Exits,
  After,
  Every,
  All,
  From,
  Pool,
  Head,
  Policy,
  Target,
  Sdk,
  Calibration,
  Decode,
  Weights,
  Key,
];

export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  Comment,
  StringLiteral,
  UnterminatedString,
  NumberLiteral,
  DotDot,
  Plus,
  Colon,
  Comma,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  ...keywordTokens,
  Identifier,
  Word,
];

/** Built once; `ensureOptimizations` makes a lexer-definition mistake fail loudly at load time. */
export const rampLexer = new Lexer(allTokens as TokenType[], {
  ensureOptimizations: true,
  positionTracking: 'full',
});
