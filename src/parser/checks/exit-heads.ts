import { diagnostic } from '../../diagnostics/index.js';
import type { Classifier, Typed } from '../ast.js';
import { headComponents, weightKeys } from '../weight-keys.js';
import type { CheckContext, CheckRule } from './rule.js';

function positiveInteger(p: Typed<number> | undefined, ctx: CheckContext, minimum = 1): void {
  if (p && (!Number.isInteger(p.value) || p.value < minimum)) {
    const range = minimum === 0 ? 'a non-negative integer' : 'a positive integer';
    ctx.report(diagnostic('OR2004', { name: p.param.name, range, value: p.value }, { span: p.valueLoc }));
  }
}

/** Sizes of a classifier are positive integers (an MLP may have zero hidden blocks). */
export function checkClassifier(c: Classifier, ctx: CheckContext): void {
  if (c.kind === 'LmHead') return;
  positiveInteger(c.classes, ctx);
  if (c.kind === 'MlpHead') {
    positiveInteger(c.hidden, ctx);
    positiveInteger(c.layers, ctx, 0);
  }
  if (c.kind === 'MambaHead') {
    positiveInteger(c.dState, ctx);
    positiveInteger(c.dConv, ctx);
    positiveInteger(c.expand, ctx);
  }
}

/**
 * Exits either reuse the graph's heads (`from outputs`) or define a head with weights; every part of the
 * head has a weight key, and no key names a part the head does not have.
 */
export const exitHeads: CheckRule = {
  name: 'exit-heads',
  check(model, ctx) {
    const exits = model.exits;
    if (!exits) return;
    if (exits.fromOutputs) {
      for (const item of exits.members) {
        const name = item.kind === 'Pool' ? 'pool' : item.kind === 'Head' ? 'head' : 'weights';
        ctx.report(diagnostic('OR2018', { item: name }, { span: item.loc }));
      }
      return;
    }
    // DYNAMAX: the Mamba exit head is declared in the policy.
    if (model.policy?.name === 'mamba' && !exits.head && !exits.weights) return;
    if (ctx.hadBuildErrors(model) && (!exits.head || !exits.weights)) return;
    if (!exits.head)
      ctx.report(diagnostic('OR2019', { what: 'head (e.g. `head linear`)' }, { span: exits.loc }));
    // `head lm_head` alone reuses the backbone's projection and reads no weights.
    const needsWeights = !exits.head || headComponents(exits.head).length > 0;
    if (!exits.weights && needsWeights)
      ctx.report(
        diagnostic(
          'OR2019',
          { what: 'weights clause (`weights "file.safetensors" key "..."`)' },
          { span: exits.loc },
        ),
      );
    if (!exits.head) return;
    checkClassifier(exits.head.classifier, ctx);
    if (!exits.weights) return;
    const parts = headComponents(exits.head);
    const keys = weightKeys(exits.weights, exits.head);
    for (const part of parts) {
      if (!keys.has(part))
        ctx.report(diagnostic('OR2016', { owner: 'head', component: part }, { span: exits.weights.loc }));
    }
    for (const k of exits.weights.keys) {
      if (k.component && !parts.includes(k.component)) {
        ctx.report(
          diagnostic(
            'OR2017',
            { owner: 'head', component: k.component, known: parts.join(', ') },
            { span: k.componentLoc ?? k.loc },
          ),
        );
      }
    }
  },
};
