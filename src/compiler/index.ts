export { type CompileOptions, type CompileResult, type CompiledArtifact, compile } from './compile.js';
export { type GeneratedFile, type TargetRequest, COMPILER_ID } from './artifact.js';
export { loadRamp } from './front-end.js';
export { planFromModel, resolveExits } from './plan-from-ast.js';
