import type { Diagnostic } from '../../diagnostics/index.js';
import { type Model, verifyModel } from '../../ir/index.js';
import { normalizeDomain, ONNX_DOMAIN } from '../onnx-versions.js';
import type { TargetProfile } from '../profile.js';
import { adaptOpset } from './adapt-opset.js';
import { constantsToInitializers } from './constants-to-initializers.js';
import { decomposeArgMax } from './decompose-argmax.js';
import { foldShapeRanges } from './fold-shape-ranges.js';
import { removeDeadNodes, removeUnreadInitializers } from './graph-edit.js';
import type { LegalizePass } from './legalize-pass.js';
import { narrowFloat64 } from './narrow-float64.js';
import { narrowInt64 } from './narrow-int64.js';
import { devicePlacement } from './placement.js';
import { carryBoolAsInt32, decomposeLogSoftmax, integerAbs, orToAndNot } from './rewrite-logic.js';

export { adaptOpset } from './adapt-opset.js';
export { inferElementTypes } from './element-types.js';
export type { LegalizePass } from './legalize-pass.js';
export { checkModelPlacement, devicePlacement, hostShapeNodes, opNodes } from './placement.js';

/** The element types `profile` registers for `op`'s type parameter `param` (empty if no kernel). */
function registered(profile: TargetProfile, op: string, param: string): readonly string[] {
  return profile.operators.kernels
    .filter((k) => k.op === op && normalizeDomain(k.domain) === ONNX_DOMAIN)
    .flatMap((k) => k.types[param] ?? []);
}

/** Each pass with the profile gap that calls for it; the order matters (see `legalizeForTarget`). */
const LEGALIZATIONS: readonly { pass: LegalizePass; needed(profile: TargetProfile): boolean }[] = [
  { pass: constantsToInitializers, needed: () => true },
  { pass: foldShapeRanges, needed: (p) => !registered(p, 'Range', 'T').includes('int64') },
  { pass: decomposeArgMax, needed: (p) => !registered(p, 'Cast', 'T1').includes('int64') },
  { pass: decomposeLogSoftmax, needed: (p) => !registered(p, 'LogSoftmax', 'T').includes('float32') },
  { pass: orToAndNot, needed: (p) => registered(p, 'Or', 'T').length === 0 },
  { pass: narrowInt64, needed: (p) => !registered(p, 'Add', 'T').includes('int64') },
  { pass: narrowFloat64, needed: (p) => !registered(p, 'Add', 'T').includes('float64') },
  { pass: integerAbs, needed: (p) => !registered(p, 'Abs', 'T').includes('int32') },
  { pass: carryBoolAsInt32, needed: (p) => !registered(p, 'If', 'V').includes('bool') },
];

export interface LegalizeResult {
  /** Verifier problems (a pass bug) and OR6xxx placement diagnostics for what stays off the device. */
  readonly diagnostics: Diagnostic[];
  readonly passes: readonly string[];
  readonly statistics: Record<string, Record<string, number>>;
  /** Shape nodes onnxruntime keeps on the host by design (not fallbacks): the artifact's expected placement. */
  readonly hostNodes: readonly string[];
}

/**
 * Rewrites a compiled model in place so `profile`'s execution provider can place it: only the passes the
 * profile's kernel table calls for run (none for the CPU profile). Graph rewrites run before the type
 * narrowing, which then retypes everything they produced; the bool carrying runs last because narrowing
 * retypes If outputs. Afterwards the model is verified and checked against the profile: every node that
 * would still leave the device is named in an OR6xxx diagnostic.
 */
export function legalizeForTarget(model: Model, profile: TargetProfile, file = '<model>'): LegalizeResult {
  const diagnostics: Diagnostic[] = [];
  const statistics: Record<string, Record<string, number>> = {};
  const passes: string[] = [];
  // First the profile's opset (the kernel tables below are stated for it).
  if (model.opset('') !== undefined && model.opset('') !== profile.opset) {
    const problems = adaptOpset(model, profile.opset, file);
    passes.push('adapt-opset');
    if (problems.length > 0) return { diagnostics: problems, passes, statistics, hostNodes: [] };
  }
  for (const { pass, needed } of LEGALIZATIONS) {
    if (!needed(profile)) continue;
    statistics[pass.name] = pass.run(model).statistics;
    passes.push(pass.name);
    const problems = verifyModel(model, `${file} (after ${pass.name})`);
    if (problems.length > 0) return { diagnostics: problems, passes, statistics, hostNodes: [] };
  }
  statistics.cleanup = {
    'dead-nodes': removeDeadNodes(model),
    'unread-initializers': removeUnreadInitializers(model),
  };
  diagnostics.push(...verifyModel(model, `${file} (after legalization)`));
  const placement = devicePlacement(model, profile, file);
  diagnostics.push(...placement.diagnostics);
  return { diagnostics, passes, statistics, hostNodes: placement.hostNodes };
}
