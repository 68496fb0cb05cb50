/** Public surface of the `.ramp` front end: parse, check, format, and the AST types. */
export type * from './ast.js';
export { POLICY_NAMES } from './ast.js';
export { bySourceOrder, parseRamp, type ParseResult } from './parse.js';
export { checkRamp, type CheckRampResult } from './check.js';
export { checkAst, checkRules, type CheckOptions, type CheckResult, type CheckRule } from './checks/index.js';
export { resolveExitLayers } from './exit-layers.js';
export { classifierComponent, headComponents, weightKeys } from './weight-keys.js';
export { formatFile, formatRamp, printRamp, type FormatResult } from './format.js';
