import { diagnostic } from '../../diagnostics/index.js';
import type { NumberLiteral } from '../ast.js';
import { type CheckContext, type CheckRule, declaredTwice } from './rule.js';

/** Largest layer number we accept at all; real backbones have at most a few hundred layers. */
const MAX_LAYER = 100_000;

function layerNumber(n: NumberLiteral, what: string, ctx: CheckContext, last: number | undefined): boolean {
  if (!Number.isInteger(n.value) || n.value < 1 || n.value > MAX_LAYER) {
    ctx.report(
      diagnostic(
        'OR2004',
        { name: what, range: 'a layer number (an integer from 1)', value: n.raw },
        { span: n.loc },
      ),
    );
    return false;
  }
  if (last !== undefined && n.value > last) {
    ctx.report(diagnostic('OR2010', { layer: n.value, last }, { span: n.loc }));
    return false;
  }
  return true;
}

/** Exit layers are 1-based integers within the backbone, ranges are non-empty, lists have no repeats. */
export const exitSelection: CheckRule = {
  name: 'exit-selection',
  check(model, ctx) {
    const exits = model.exits;
    if (!exits) return;
    const last = ctx.layerCount(model);
    const s = exits.selection;
    switch (s.kind) {
      case 'ExitList': {
        const seen = new Map<number, NumberLiteral>();
        for (const n of s.layers) {
          if (!layerNumber(n, 'exit layer', ctx, last)) continue;
          const first = seen.get(n.value);
          if (first) ctx.report(declaredTwice(`the exit after layer ${n.value}`, n.loc, first.loc));
          else seen.set(n.value, n);
        }
        if (s.layers.length === 0) {
          ctx.report(
            diagnostic(
              'OR2004',
              { name: 'exits after', range: 'a non-empty list', value: '[]' },
              { span: s.loc },
            ),
          );
        }
        break;
      }
      case 'ExitRange': {
        const ok = layerNumber(s.from, 'range start', ctx, last) && layerNumber(s.to, 'range end', ctx, last);
        if (ok && s.from.value > s.to.value) {
          ctx.report(diagnostic('OR2011', { from: s.from.raw, to: s.to.raw }, { span: s.loc }));
        }
        break;
      }
      case 'ExitEvery':
        if (!Number.isInteger(s.step.value) || s.step.value < 1 || s.step.value > MAX_LAYER) {
          ctx.report(
            diagnostic(
              'OR2004',
              { name: 'every', range: 'a positive integer', value: s.step.raw },
              { span: s.step.loc },
            ),
          );
        } else if (last !== undefined && s.step.value > last) {
          ctx.report(diagnostic('OR2010', { layer: s.step.value, last }, { span: s.step.loc }));
        }
        break;
      case 'ExitAll':
        break;
    }
  },
};
