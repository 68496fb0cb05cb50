export { COMPILER_ID, type GeneratedFile, type TargetRequest } from './artifact.js';
export { type CompiledArtifact, type CompileOptions, type CompileResult, compile } from './compile.js';
export {
  CONFIG_FILES,
  type ConfigModel,
  compileAll,
  loadConfig,
  type OfframpConfig,
} from './config.js';
export { loadRamp } from './front-end.js';
export { planFromModel, resolveExits } from './plan-from-ast.js';
