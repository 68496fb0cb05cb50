import type { Diagnostic } from '../../diagnostics/index.js';
import { allGraphs, type Model, type Value, verifyModel } from '../../ir/index.js';
import type { ElementType } from '../element-types.js';
import { normalizeDomain, ONNX_DOMAIN } from '../onnx-versions.js';
import type { TargetProfile } from '../profile.js';
import { adaptOpset } from './adapt-opset.js';
import { constantsToInitializers } from './constants-to-initializers.js';
import { decomposeArgMax } from './decompose-argmax.js';
import { foldShapeRanges } from './fold-shape-ranges.js';
import { foldShapeValues } from './fold-shape-values.js';
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

/**
 * Whether `profile` has a kernel for `op` taking `type` for its type parameter `param`. A kernel whose table
 * lists no types for the parameter (a table transcribed with version ranges only) takes any type.
 */
function supports(profile: TargetProfile, op: string, param: string, type: ElementType): boolean {
  return profile.operators.kernels.some(
    (k) =>
      k.op === op &&
      normalizeDomain(k.domain) === ONNX_DOMAIN &&
      (k.types[param] === undefined || k.types[param]!.includes(type)),
  );
}

/** Each pass with the profile gap that calls for it; the order matters (see `legalizeForTarget`). */
const LEGALIZATIONS: readonly { pass: LegalizePass; needed(profile: TargetProfile): boolean }[] = [
  { pass: constantsToInitializers, needed: () => true },
  { pass: foldShapeRanges, needed: (p) => !supports(p, 'Range', 'T', 'int64') },
  // Shape arithmetic (int64 by definition) is host work unless the device takes int64: fold what is known.
  { pass: foldShapeValues, needed: (p) => !supports(p, 'Gather', 'T', 'int64') },
  { pass: decomposeArgMax, needed: (p) => !supports(p, 'Cast', 'T1', 'int64') },
  { pass: decomposeLogSoftmax, needed: (p) => !supports(p, 'LogSoftmax', 'T', 'float32') },
  { pass: orToAndNot, needed: (p) => !supports(p, 'Or', 'T', 'bool') },
  { pass: narrowInt64, needed: (p) => !supports(p, 'Add', 'T', 'int64') },
  { pass: narrowFloat64, needed: (p) => !supports(p, 'Add', 'T', 'float64') },
  { pass: integerAbs, needed: (p) => !supports(p, 'Abs', 'T', 'int32') },
  { pass: carryBoolAsInt32, needed: (p) => !supports(p, 'If', 'V', 'bool') },
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
  const outputNames = model.graph.outputs.map((v) => v.name);
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
    'outputs-renamed': keepOutputNames(model, outputNames),
  };
  diagnostics.push(...verifyModel(model, `${file} (after legalization)`));
  const placement = devicePlacement(model, profile, file);
  diagnostics.push(...placement.diagnostics);
  return { diagnostics, passes, statistics, hostNodes: placement.hostNodes };
}

/**
 * Gives the graph outputs back the names they had before legalization: a rewrite that replaces a value
 * (ArgMax, Or, ...) makes its replacement the graph output, but callers (a segmented model's runtime, the
 * manifest) find outputs by name. The replaced value is gone by now, so its name is free; an internal value
 * that still holds it is renamed first. Returns how many outputs were renamed.
 */
function keepOutputNames(model: Model, names: readonly string[]): number {
  let renamed = 0;
  for (const [k, v] of model.graph.outputs.entries()) {
    const name = names[k];
    if (name === undefined || v.name === name) continue;
    const holder = valueNamed(model, name);
    if (holder && (model.graph.inputs.includes(holder) || holder.graph.initializers.has(name))) continue;
    if (holder) holder.name = `${name}/legalized`;
    v.name = name;
    renamed++;
  }
  return renamed;
}

function valueNamed(model: Model, name: string): Value | undefined {
  for (const graph of allGraphs(model.graph)) {
    for (const v of graph.inputs) if (v.name === name) return v;
    const init = graph.initializers.get(name);
    if (init) return init.value;
    for (const node of graph.nodes) for (const v of node.outputs) if (v.name === name) return v;
  }
  return undefined;
}
