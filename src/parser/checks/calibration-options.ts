import { diagnostic } from '../../diagnostics/index.js';
import type { CheckRule } from './rule.js';

/** Calibration needs a dataset; the accuracy budget is a fraction in [0, 1). */
export const calibrationOptions: CheckRule = {
  name: 'calibration-options',
  check(model, ctx) {
    const c = model.calibration;
    if (!c) return;
    if (!c.dataset)
      ctx.report(
        diagnostic(
          'OR2007',
          { owner: 'calibration', what: "a 'dataset' (a directory of .npy files)" },
          { span: c.loc },
        ),
      );
    const b = c.accuracyBudget;
    if (b && !(b.value >= 0 && b.value < 1)) {
      ctx.report(
        diagnostic(
          'OR2004',
          { name: 'accuracy_budget', range: 'a fraction from 0 up to (not including) 1', value: b.value },
          { span: b.valueLoc },
        ),
      );
    }
  },
};
