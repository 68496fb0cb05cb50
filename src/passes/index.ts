export type { CompilerPass } from './compiler-pass.js';
export type { CompileContext, ExitRecord, WeightSource } from './context.js';
export { OUTPUT_NAMES, parameterInputName, UNIFORM_INPUT } from './insert-policy.js';
export { CHAIN_PIPELINE, type PipelineOptions, type PipelineResult, runChainPipeline } from './pipeline.js';
export type { CompilePlan, HeadPlan, PolicyPlan } from './plan.js';
