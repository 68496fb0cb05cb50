import { diagnostic } from '../../diagnostics/index.js';
import type { StringLiteral } from '../ast.js';
import type { CheckContext, CheckRule } from './rule.js';

/**
 * `{i}` is the only placeholder. Layer patterns and output templates must contain it exactly once; a weight
 * key may contain it once (per-exit weights) or not at all (weights shared by all exits).
 */
function checkTemplate(t: StringLiteral, what: string, needsIndex: boolean, ctx: CheckContext): void {
  const report = (problem: string): void => {
    ctx.report(diagnostic('OR2013', { what, template: t.value, problem }, { span: t.loc }));
  };
  const other = /\{(?!i\})[^}]*\}?/.exec(t.value.replaceAll('{i}', ''));
  if (other) {
    report(`has the placeholder '${other[0]}'; the only placeholder is {i} (the 0-based module index)`);
    return;
  }
  const count = t.value.split('{i}').length - 1;
  if (count > 1) {
    report('contains {i} more than once');
    return;
  }
  if (needsIndex && count === 0) {
    report('needs {i} where the 0-based module index goes');
    return;
  }
  if (t.value.length === 0) report('is empty');
}

export const nameTemplates: CheckRule = {
  name: 'name-templates',
  check(model, ctx) {
    for (const m of model.members) {
      if (m.kind === 'Backbone') {
        for (const b of m.members)
          if (b.kind === 'Layers' && b.spec.kind === 'PatternLayers')
            checkTemplate(b.spec.pattern, 'layer pattern', true, ctx);
      }
      if (m.kind === 'Exits') {
        if (m.fromOutputs) checkTemplate(m.fromOutputs, 'output template', true, ctx);
        for (const w of m.members)
          if (w.kind === 'Weights')
            for (const k of w.keys) checkTemplate(k.template, 'weight key', false, ctx);
      }
      if (m.kind === 'Policy') {
        for (const p of m.params) {
          const v = p.value;
          const weights = v.kind === 'Weights' ? v : v.kind === 'Call' ? v.weights : undefined;
          for (const k of weights?.keys ?? []) checkTemplate(k.template, 'weight key', false, ctx);
        }
      }
    }
  },
};
