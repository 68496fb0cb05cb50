import type { CompileContext } from './context.js';
import type { Pass } from './pass.js';

/** A compiler pass declared as data (one per file, its name equal to the file name), run by the pass manager. */
export type CompilerPass = Pass<CompileContext>;
