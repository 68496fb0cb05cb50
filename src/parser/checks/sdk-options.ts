import { diagnostic } from '../../diagnostics/index.js';
import type { CheckRule } from './rule.js';

/** The SDK name becomes a TypeScript class name. */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export const sdkOptions: CheckRule = {
  name: 'sdk-options',
  check(model, ctx) {
    const name = model.sdk?.name;
    if (name && !IDENTIFIER.test(name.value))
      ctx.report(diagnostic('OR2026', { name: name.value }, { span: name.valueLoc }));
  },
};
