/**
 * The semantic checks: small independent rules, each in its own file, run together over every model
 * (graphql-js's validation rules in spirit). Add a rule by writing a file and listing it here.
 */
import type { Diagnostic } from '../../diagnostics/index.js';
import { hasErrors } from '../../diagnostics/index.js';
import type { CheckedModel, ModelDecl, RampFile } from '../ast.js';
import { resolveExitLayers } from '../exit-layers.js';
import { bySourceOrder } from '../parse.js';
import { calibrationOptions } from './calibration-options.js';
import { exitHeads } from './exit-heads.js';
import { exitSelection } from './exit-selection.js';
import { fileTypes } from './file-types.js';
import { minExit } from './min-exit.js';
import { nameTemplates } from './name-templates.js';
import { policyParameters } from './policy-parameters.js';
import { policyRequirements } from './policy-requirements.js';
import { requiredBlocks } from './required-blocks.js';
import type { CheckContext, CheckOptions, CheckRule } from './rule.js';
import { sdkOptions } from './sdk-options.js';
import { targetOptions } from './target-options.js';
import { uniqueDeclarations } from './unique-declarations.js';
import { checkModels } from './unique-models.js';

export type { CheckOptions, CheckRule } from './rule.js';

export const checkRules: readonly CheckRule[] = [
  requiredBlocks,
  uniqueDeclarations,
  exitSelection,
  nameTemplates,
  exitHeads,
  policyParameters,
  policyRequirements,
  minExit,
  targetOptions,
  sdkOptions,
  calibrationOptions,
  fileTypes,
];

function layerCountOf(model: ModelDecl, options: CheckOptions): number | undefined {
  if (options.layerCount !== undefined) return options.layerCount;
  const spec = model.backbone?.layers?.spec;
  return spec?.kind === 'CutLayers' && spec.cuts.length > 0 ? spec.cuts.length : undefined;
}

export interface CheckResult {
  readonly diagnostics: Diagnostic[];
  /** One per model, present only when the whole file has no errors. */
  readonly models?: readonly CheckedModel[];
}

/** Runs every rule over every model of a parsed file; `earlier` are the parse diagnostics of the same file. */
export function checkAst(
  file: RampFile,
  options: CheckOptions = {},
  earlier: readonly Diagnostic[] = [],
): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const earlierErrors = earlier.filter((d) => d.severity === 'error' && d.span);
  const report = (d: Diagnostic) => diagnostics.push(d);
  checkModels(file, report);
  for (const model of file.models) {
    const ctx: CheckContext = {
      file,
      options,
      layerCount: (m) => layerCountOf(m, options),
      hadBuildErrors: (m) =>
        earlierErrors.some(
          (d) => d.span!.start.offset >= m.loc.start.offset && d.span!.start.offset < m.loc.end.offset,
        ),
      report,
    };
    for (const rule of checkRules) rule.check(model, ctx);
  }
  const sorted = bySourceOrder(diagnostics);
  if (hasErrors(sorted)) return { diagnostics: sorted };
  const models = file.models.map(
    (m): CheckedModel => ({
      ...m,
      backbone: m.backbone!,
      exits: m.exits!,
      policy: m.policy!,
      exitLayers: resolveExitLayers(m.exits!.selection, layerCountOf(m, options)),
    }),
  );
  return { diagnostics: sorted, models };
}
