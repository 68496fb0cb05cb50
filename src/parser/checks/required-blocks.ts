import { diagnostic } from '../../diagnostics/index.js';
import type { CheckRule } from './rule.js';

/** A model needs a backbone, exits and a policy; targets default to `cpu`. */
export const requiredBlocks: CheckRule = {
  name: 'required-blocks',
  check(model, ctx) {
    if (ctx.hadBuildErrors(model)) return;
    const present = new Set(model.members.map((m) => m.kind));
    for (const [kind, block] of [
      ['Backbone', 'backbone'],
      ['Exits', 'exits'],
      ['Policy', 'policy'],
    ] as const) {
      if (!present.has(kind))
        ctx.report(diagnostic('OR2006', { model: model.name.value, block }, { span: model.name.loc }));
    }
  },
};
