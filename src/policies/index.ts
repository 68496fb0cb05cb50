export type { DType, PolicyOps } from './ops.js';
export type {
  ExitContext,
  HeadOutputs,
  ParameterDecl,
  PolicyKind,
  PolicySpec,
  PolicyState,
  StepResult,
  WeightDecl,
} from './spec.js';
export { entropy, jei, margin, maxprob, pabee, policySpecs, pondernet, qexit } from './policies.js';
export { type Carried, type DriverRules, driverStep } from './driver.js';
export { type NumTensor, NumericOps, tensor } from './numeric-ops.js';
export { type EvaluationInput, type EvaluationResult, evaluatePolicy } from './evaluate.js';
