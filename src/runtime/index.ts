export { CompiledModel, type ExitOutputs, type LoadOptions, type RunOptions } from './node-session.js';
export {
  MANIFEST_FORMAT_VERSION,
  type ArtifactTarget,
  type Manifest,
  type ParameterSpec,
  type TensorSpec,
} from './manifest.js';
export { type CallTelemetry, type TelemetrySummary, TelemetryRecorder } from './telemetry.js';
export { elementCount, float32Tensor, type HostTensor, int64Tensor } from './tensors.js';
