import type { CatalogEntry } from './entry.js';

/** OR1xxx: lexing and parsing `.ramp` files. OR2xxx: their semantic checks. */
export const dslCodes: Record<string, CatalogEntry> = {
  // Syntax
  OR1001: { severity: 'error', title: 'unexpected character', message: "unexpected character '{text}'" },
  OR1002: {
    severity: 'error',
    title: 'unterminated string',
    message: 'this string has no closing quote on its line',
  },
  OR1003: {
    severity: 'error',
    title: 'invalid escape',
    message: "invalid escape '{text}' in a string; use \\\\, \\\", \\n, \\t, \\r or \\u{hex}",
  },
  OR1004: { severity: 'error', title: 'unexpected token', message: 'expected {expected}, found {found}' },
  OR1005: {
    severity: 'error',
    title: 'unexpected end of file',
    message: 'the file ends here, but {expected} is missing',
  },
  OR1006: {
    severity: 'error',
    title: 'number out of range',
    message: "the number '{text}' is too large to represent",
  },
  OR1008: {
    severity: 'error',
    title: 'nested too deeply',
    message: 'brackets are nested more than {limit} deep here',
  },
  OR1007: {
    severity: 'error',
    title: 'not a text file',
    message: 'the file is not valid UTF-8 text ({reason})',
  },

  // Semantics: names and types
  OR2001: {
    severity: 'error',
    title: 'unknown policy',
    message: "unknown policy '{name}'; known policies: {known}",
  },
  OR2002: {
    severity: 'error',
    title: 'unknown parameter',
    message: "{owner} has no parameter '{name}'; it takes: {known}",
  },
  OR2003: {
    severity: 'error',
    title: 'wrong value type',
    message: "'{name}' expects {expected}, found {found}",
  },
  OR2004: {
    severity: 'error',
    title: 'value out of range',
    message: "'{name}' must be {range}, found {value}",
  },
  OR2005: { severity: 'error', title: 'declared twice', message: '{what} is declared twice' },
  OR2006: { severity: 'error', title: 'missing block', message: "model '{model}' has no {block} block" },
  OR2007: { severity: 'error', title: 'missing parameter', message: '{owner} needs {what}' },
  OR2008: {
    severity: 'error',
    title: 'unknown target',
    message: "unknown target '{name}'; known targets: {known}",
  },
  OR2009: {
    severity: 'error',
    title: 'unknown option',
    message: "'{value}' is not a valid {what}; expected one of {known}",
  },
  OR2010: {
    severity: 'error',
    title: 'exit layer out of range',
    message: 'exit after layer {layer} is impossible: layers are numbered 1..{last}',
  },
  OR2011: {
    severity: 'error',
    title: 'empty exit range',
    message: 'the range {from}..{to} selects no layer (write the smaller number first)',
  },
  OR2012: { severity: 'error', title: 'listed twice', message: '{what} {value} is listed twice' },
  OR2013: { severity: 'error', title: 'bad name template', message: "the {what} '{template}' {problem}" },
  OR2014: {
    severity: 'error',
    title: 'unknown head',
    message: "unknown head '{name}'; known heads: {known}",
  },
  OR2015: { severity: 'error', title: 'invalid head', message: 'invalid head: {reason}' },
  OR2016: {
    severity: 'error',
    title: 'missing weight key',
    message: "the {owner} needs a key for '{component}'",
  },
  OR2017: {
    severity: 'error',
    title: 'unused weight key',
    message: "the {owner} has no part named '{component}'; its parts: {known}",
  },
  OR2018: {
    severity: 'error',
    title: 'heads given twice',
    message: "exits 'from outputs' reuse the heads in the graph, so '{item}' does not apply",
  },
  OR2019: {
    severity: 'error',
    title: 'exits without heads',
    message: 'the exits need a {what} (or `from outputs "..."` to reuse heads in the graph)',
  },
  OR2020: {
    severity: 'error',
    title: 'option not for this target',
    message: "'{name}' does not apply to target {target}; it applies to: {targets}",
  },
  OR2021: {
    severity: 'error',
    title: 'conflicting parameters',
    message: "give either '{a}' or '{b}', not both",
  },
  OR2022: {
    severity: 'error',
    title: 'threshold count',
    message: "'thresholds' has {count} values, but there are {exits} exits",
  },
  OR2023: {
    severity: 'error',
    title: 'no exit after min_exit',
    message: 'min_exit is {minExit}, but the last exit is after layer {last}, so no exit could ever fire',
  },
  OR2024: {
    severity: 'warning',
    title: 'unexpected file type',
    message: "{what} '{file}' does not end in {extension}",
  },
  OR2025: {
    severity: 'error',
    title: 'no model',
    message: 'the file declares no model; start with `model NAME { ... }`',
  },
  OR2026: {
    severity: 'error',
    title: 'invalid SDK name',
    message: "the SDK name '{name}' is not a TypeScript identifier",
  },
  OR2027: {
    severity: 'error',
    title: 'wrong policy module',
    message: "'{name}' of policy {policy} must be {expected}",
  },
  OR2028: {
    severity: 'warning',
    title: 'exit before min_exit',
    message: 'exit after layer {layer} never fires: min_exit is {minExit}',
  },
};
