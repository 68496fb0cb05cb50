/** Offramp's programmatic API: compile `.ramp` files and run compiled artifacts. */
export { type CompileOptions, type CompileResult, type CompiledArtifact, compile } from './compiler/index.js';
export {
  type Diagnostic,
  type SourceSpan,
  diagnosticsToJson,
  formatDiagnostics,
  hasErrors,
} from './diagnostics/index.js';
export { CompiledModel, type ExitOutputs, type LoadOptions, type RunOptions } from './runtime/node-session.js';
export type { Manifest } from './runtime/manifest.js';
export { float32Tensor, int64Tensor, type HostTensor } from './runtime/tensors.js';
