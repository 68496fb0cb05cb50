import type { AstNode } from '../ast.js';
import { type CheckRule, declaredTwice } from './rule.js';

/** Reports every repeat of a key among `items`, pointing at both places. */
function reportRepeats<T extends AstNode>(
  items: readonly T[],
  keyOf: (item: T) => string | undefined,
  describe: (key: string) => string,
  report: (d: ReturnType<typeof declaredTwice>) => void,
): void {
  const first = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    const earlier = first.get(key);
    if (earlier) report(declaredTwice(describe(key), item.loc, earlier.loc));
    else first.set(key, item);
  }
}

const BLOCK_NAMES: Readonly<Record<string, string>> = {
  Backbone: 'the backbone block',
  Exits: 'the exits block',
  Policy: 'the policy block',
  Sdk: 'the sdk block',
  Calibration: 'the calibration block',
};

/** Blocks, targets, backbone and exit items, and weight parts may each appear once. */
export const uniqueDeclarations: CheckRule = {
  name: 'unique-declarations',
  check(model, ctx) {
    const report = (d: ReturnType<typeof declaredTwice>) => ctx.report(d);
    reportRepeats(
      model.members,
      (m) => (m.kind === 'Target' ? `target:${m.name}` : m.kind),
      (key) => (key.startsWith('target:') ? `target ${key.slice(7)}` : BLOCK_NAMES[key]!),
      report,
    );
    for (const backbone of model.members) {
      if (backbone.kind !== 'Backbone') continue;
      reportRepeats(
        backbone.members,
        (m) => (m.kind === 'Layers' ? 'layers' : m.direction),
        (k) => `'${k}'`,
        report,
      );
    }
    for (const exits of model.members) {
      if (exits.kind !== 'Exits') continue;
      reportRepeats(
        exits.members,
        (m) => m.kind.toLowerCase(),
        (k) => `'${k}'`,
        report,
      );
      for (const w of exits.members) {
        if (w.kind === 'Weights')
          reportRepeats(
            w.keys,
            (k) => k.component ?? 'key',
            (k) => `the key for '${k}'`,
            report,
          );
      }
    }
  },
};
