import { diagnostic } from '../../diagnostics/index.js';
import type { PolicyModule } from '../ast.js';
import { resolveExitLayers } from '../exit-layers.js';
import { checkClassifier } from './exit-heads.js';
import type { CheckContext, CheckRule } from './rule.js';

/** A learned policy part needs its weights: one file, one key prefix. */
function checkModule(
  owner: string,
  name: string,
  example: string,
  module: PolicyModule | undefined,
  at: PolicyModuleOwner,
  ctx: CheckContext,
): void {
  if (!module) {
    ctx.report(diagnostic('OR2007', { owner, what: `'${name}' (e.g. ${example})` }, { span: at.nameLoc }));
    return;
  }
  if (module.architecture) checkClassifier(module.architecture, ctx);
  if (!module.weights) {
    ctx.report(
      diagnostic(
        'OR2007',
        { owner, what: `weights for '${name}' (add \`weights "file.safetensors" key "..."\`)` },
        { span: module.loc },
      ),
    );
    return;
  }
  const keys = module.weights.keys;
  if (keys.length === 0)
    ctx.report(diagnostic('OR2016', { owner: `'${name}'`, component: name }, { span: module.weights.loc }));
  for (const k of keys.slice(1)) {
    ctx.report(
      diagnostic(
        'OR2017',
        { owner: `'${name}'`, component: k.component ?? 'key', known: name },
        { span: k.loc },
      ),
    );
  }
}

interface PolicyModuleOwner {
  readonly nameLoc: import('../../diagnostics/index.js').SourceSpan;
}

/** What each policy cannot run without: PALBERT's Λ, JEI's gates, DYNAMAX's Mamba head; one form of threshold. */
export const policyRequirements: CheckRule = {
  name: 'policy-requirements',
  check(model, ctx) {
    for (const p of model.members) {
      if (p.kind !== 'Policy') continue;
      const owner = `policy ${p.name}`;
      switch (p.name) {
        case 'qexit':
        case 'pondernet':
          checkModule(
            owner,
            'lambda',
            '`lambda: mlp(layers: 1) weights "heads.safetensors" key "palbert.lambda."`',
            p.lambda,
            p,
            ctx,
          );
          break;
        case 'jei':
          checkModule(
            owner,
            'gates',
            '`gates: weights "heads.safetensors" key "jei.gate.{i}."`',
            p.gates,
            p,
            ctx,
          );
          break;
        case 'mamba':
          checkModule(
            owner,
            'head',
            '`head: mamba(d_state: 16, d_conv: 4, expand: 2) weights "..." key "..."`',
            p.head,
            p,
            ctx,
          );
          break;
        case 'learned':
          checkModule(
            owner,
            'classifier',
            '`classifier: weights "heads.safetensors" key "conf.{i}."`',
            p.classifier,
            p,
            ctx,
          );
          break;
        case 'entropy': {
          if (p.threshold && p.thresholds) {
            ctx.report(
              diagnostic(
                'OR2021',
                { a: 'threshold', b: 'thresholds' },
                {
                  span: p.thresholds.loc,
                  related: [{ message: "'threshold' is given here", span: p.threshold.loc }],
                },
              ),
            );
          }
          const exits = model.exits && resolveExitLayers(model.exits.selection, ctx.layerCount(model));
          if (p.thresholds && exits && p.thresholds.value.length !== exits.length) {
            ctx.report(
              diagnostic(
                'OR2022',
                { count: p.thresholds.value.length, exits: exits.length },
                { span: p.thresholds.valueLoc },
              ),
            );
          }
          break;
        }
        default:
          break;
      }
    }
  },
};
