export {
  DecoderModel,
  type GeneratedToken,
  type GenerateOptions,
  type Generation,
  GenerationError,
  type SamplingOptions,
} from './decoder-session.js';
export {
  type ArtifactTarget,
  type ElementType,
  MANIFEST_FORMAT_VERSION,
  type Manifest,
  type ParameterSpec,
  type SegmentSpec,
  type TensorSpec,
} from './manifest.js';
export { CompiledModel, type ExitOutputs, type LoadOptions, type RunOptions } from './node-session.js';
export { SegmentedModel } from './segmented-session.js';
export { type CallTelemetry, TelemetryRecorder, type TelemetrySummary } from './telemetry.js';
export { elementCount, float32Tensor, type HostTensor, int64Tensor } from './tensors.js';
