import { diagnostic } from '../../diagnostics/index.js';
import type { PolicyDecl, Typed } from '../ast.js';
import type { CheckContext, CheckRule } from './rule.js';

interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly exclusive?: boolean;
  readonly integer?: boolean;
}

function describe(r: Range): string {
  const kind = r.integer ? 'an integer' : 'a number';
  if (r.min !== undefined && r.max !== undefined) {
    return r.exclusive
      ? `${kind} strictly between ${r.min} and ${r.max}`
      : `${kind} from ${r.min} to ${r.max}`;
  }
  if (r.min !== undefined)
    return r.integer && r.min === 1 ? 'a positive integer' : `${kind} of at least ${r.min}`;
  return kind;
}

function inRange(v: number, r: Range): boolean {
  if (r.integer && !Number.isInteger(v)) return false;
  if (r.min !== undefined && (r.exclusive ? v <= r.min : v < r.min)) return false;
  if (r.max !== undefined && (r.exclusive ? v >= r.max : v > r.max)) return false;
  return true;
}

function within(p: Typed<number> | undefined, r: Range, ctx: CheckContext): void {
  if (p && !inRange(p.value, r)) {
    ctx.report(
      diagnostic(
        'OR2004',
        {
          name: p.param.name,
          range: describe(r),
          value: p.param.value.kind === 'Number' ? p.param.value.raw : p.value,
        },
        { span: p.valueLoc },
      ),
    );
  }
}

const probability: Range = { min: 0, max: 1 };

/** Each numeric policy parameter within its documented range (see src/policies for the meaning). */
function checkPolicy(p: PolicyDecl, ctx: CheckContext): void {
  within(p.minExit, { min: 1, integer: true }, ctx);
  switch (p.name) {
    case 'pabee':
      // Patience 0 is PABEE's "never exit early" sentinel; compiling early exits for it is pointless.
      within(p.patience, { min: 1, integer: true }, ctx);
      within(p.regressionThreshold, { min: 0 }, ctx);
      break;
    case 'qexit':
      within(p.q, { min: 0, max: 1, exclusive: true }, ctx);
      break;
    case 'jei':
    case 'learned':
    case 'maxprob':
    case 'margin':
      within(p.threshold, probability, ctx);
      break;
    case 'mamba':
      // Every confidence measure (entropy as certainty 1 − H/ln C) lies in [0, 1].
      within(p.threshold, probability, ctx);
      break;
    case 'entropy': {
      const range: Range = p.normalized?.value ? probability : { min: 0 };
      within(p.threshold, range, ctx);
      for (const [k, v] of (p.thresholds?.value ?? []).entries()) {
        const item = p.thresholds!.param.value;
        const at = item.kind === 'List' ? item.items[k]?.loc : undefined;
        if (!inRange(v, range)) {
          ctx.report(
            diagnostic(
              'OR2004',
              { name: `thresholds[${k + 1}]`, range: describe(range), value: v },
              { span: at ?? p.thresholds!.valueLoc },
            ),
          );
        }
      }
      break;
    }
    case 'pondernet':
      break;
  }
}

export const policyParameters: CheckRule = {
  name: 'policy-parameters',
  check(model, ctx) {
    for (const m of model.members) if (m.kind === 'Policy') checkPolicy(m, ctx);
  },
};
