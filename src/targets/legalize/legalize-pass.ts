import type { Model } from '../../ir/index.js';

/**
 * A legalization pass: rewrites a compiled model so that a target's execution provider can place every
 * node. Shaped like the compiler's passes (`src/passes/compiler-pass.ts`) so the same driver can run it.
 */
export interface LegalizePass {
  readonly name: string;
  readonly summary: string;
  run(model: Model): { readonly modified: boolean; readonly statistics: Record<string, number> };
}
