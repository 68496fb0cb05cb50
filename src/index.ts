/** Offramp's programmatic API: compile `.ramp` files and run compiled artifacts. */
export {
  CONFIG_FILES,
  type CompiledArtifact,
  type CompileOptions,
  type CompileResult,
  type ConfigModel,
  compile,
  compileAll,
  loadConfig,
  type OfframpConfig,
} from './compiler/index.js';
export {
  type Diagnostic,
  diagnosticsToJson,
  formatDiagnostics,
  hasErrors,
  type SourceSpan,
} from './diagnostics/index.js';
export type { Manifest } from './runtime/manifest.js';
export {
  CompiledModel,
  type ExitOutputs,
  type LoadOptions,
  type RunOptions,
} from './runtime/node-session.js';
export { SegmentedModel } from './runtime/segmented-session.js';
export { float32Tensor, type HostTensor, int64Tensor } from './runtime/tensors.js';
