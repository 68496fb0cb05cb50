export { type DecisionInput, runDecisions } from './decisions.js';
export { type Carried, type DriverRules, driverStep } from './driver.js';
export {
  type EvaluationInput,
  type EvaluationResult,
  type ExitHeadData,
  evaluatePolicy,
  type Recording,
  recordSignals,
  type SignalInput,
} from './evaluate.js';
export { NumericOps, type NumericSources, type NumTensor, scalar, tensor } from './numeric-ops.js';
export { type IntAttributes, ONNX_ELEMENT_TYPE, type OnnxEmitter, OnnxOps } from './onnx-lowering.js';
export type { DType, PolicyOps, ReduceOptions } from './ops.js';
export type { ParameterSource, ParameterValues } from './parameters.js';
export {
  entropy,
  jei,
  learned,
  mamba,
  margin,
  maxprob,
  pabee,
  policyKinds,
  policySpecs,
  pondernet,
  qexit,
} from './registry.js';
export { recordingFromSignals, type SimulationOptions, type SimulationResult, simulate } from './simulate.js';
export type {
  ExitContext,
  HeadOutputName,
  HeadOutputs,
  OptionDecl,
  ParameterDecl,
  PolicyKind,
  PolicyOptions,
  PolicySpec,
  PolicyState,
  StateDecl,
  StepResult,
  WeightDecl,
  WeightDims,
} from './spec.js';
export { stateLayout, weightKey, weightsAt } from './spec.js';
