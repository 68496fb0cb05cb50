import { diagnostic } from '../../diagnostics/index.js';
import type { CheckRule } from './rule.js';

/** Which target takes which option: precision is a CUDA choice (CPU and WebGPU run fp32 models as given). */
const OPTION_TARGETS: Readonly<Record<string, readonly string[]>> = {
  precision: ['cuda'],
  form: ['cpu', 'cuda', 'webgpu'],
};

export const targetOptions: CheckRule = {
  name: 'target-options',
  check(model, ctx) {
    for (const t of model.targets) {
      for (const p of t.params) {
        const targets = OPTION_TARGETS[p.name];
        if (targets && !targets.includes(t.name)) {
          ctx.report(
            diagnostic(
              'OR2020',
              { name: p.name, target: t.name, targets: targets.join(', ') },
              { span: p.nameLoc },
            ),
          );
        }
      }
    }
  },
};
