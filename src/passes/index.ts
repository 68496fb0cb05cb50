export type { CompilerPass } from './compiler-pass.js';
export type { CompileContext, ExitRecord, WeightSource } from './context.js';
export { convertFp16 } from './convert-fp16.js';
export { pendingInputName, pendingOutputName } from './defer-skipped-layers.js';
export { fillSkippedStates } from './fill-skipped-states.js';
export { CLASSIFIER_STATE_PAST, CLASSIFIER_STATE_PRESENT } from './heads/confidence-classifier.js';
export { OUTPUT_NAMES, parameterInputName, UNIFORM_INPUT } from './insert-policy.js';
export { type PassManagerOptions, type PassManagerResult, type PassRun, runPasses } from './manager.js';
export { keyFor, stateKind, stateName } from './name-templates.js';
export {
  type Pass,
  type PassContext,
  type PassResult,
  parsePipeline,
  passRegistry,
  pipelineText,
} from './pass.js';
export { CHAIN_PIPELINE, type PipelineOptions, type PipelineResult, runChainPipeline } from './pipeline.js';
export {
  type ClassifierPlan,
  type CompilePlan,
  type HeadPlan,
  type PolicyPlan,
  policyOptionsOf,
} from './plan.js';
export { type SegmentModel, splitSegments } from './split-segments.js';
