export type { CompileContext, ExitRecord, WeightSource } from './context.js';
export type { CompilerPass } from './compiler-pass.js';
export type { CompilePlan, HeadPlan, PolicyPlan } from './plan.js';
export { CHAIN_PIPELINE, type PipelineOptions, type PipelineResult, runChainPipeline } from './pipeline.js';
export { OUTPUT_NAMES, UNIFORM_INPUT, parameterInputName } from './insert-policy.js';
