import type { Model } from '../ir/index.js';
import type { CompileContext } from './context.js';

/** A compiler pass declared as data: one per file, its name equal to the file name. */
export interface CompilerPass {
  readonly name: string;
  readonly summary: string;
  /** Facts that must hold before the pass (established by earlier passes). */
  readonly requires: readonly string[];
  /** Facts the pass establishes. */
  readonly ensures: readonly string[];
  run(
    model: Model,
    ctx: CompileContext,
  ): { readonly modified: boolean; readonly statistics: Record<string, number> };
}
