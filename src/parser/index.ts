/** Public surface of the `.ramp` front end: parse, check, format, and the AST types. */
export type * from './ast.js';
export { POLICY_NAMES } from './ast.js';
export { type CheckRampResult, checkRamp } from './check.js';
export { type CheckOptions, type CheckResult, type CheckRule, checkAst, checkRules } from './checks/index.js';
export { resolveExitLayers } from './exit-layers.js';
export { type FormatResult, formatFile, formatRamp, printRamp } from './format.js';
export { bySourceOrder, type ParseResult, parseRamp } from './parse.js';
export { classifierComponent, headComponents, weightKeys } from './weight-keys.js';
