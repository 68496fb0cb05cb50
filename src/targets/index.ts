export {
  ELEMENT_TYPES,
  type ElementType,
  elementTypeFromOnnx,
  isElementType,
  onnxElementType,
} from './element-types.js';
export {
  adaptOpset,
  checkModelPlacement,
  devicePlacement,
  hostShapeNodes,
  inferElementTypes,
  type LegalizePass,
  type LegalizeResult,
  legalizeForTarget,
  opNodes,
} from './legalize/index.js';
export {
  MICROSOFT_DOMAIN,
  normalizeDomain,
  ONNX_DOMAIN,
  operatorVersions,
  sinceVersion,
} from './onnx-versions.js';
export { describePort, type Port, principalTypeParameter, typeParameters } from './op-signatures.js';
export { type CheckOptions, checkOpSupport, type OpNode, type Placement, placeNode } from './op-support.js';
export {
  type ControlFlowConstraints,
  type ExecutionProviderInfo,
  type GraphForm,
  type KernelRegistration,
  type LoadResult,
  loadBuiltinProfile,
  loadProfile,
  type OperatorTable,
  PROFILES_DIR,
  type PrecisionOptions,
  parseVersionRange,
  TARGET_NAMES,
  type TargetName,
  type TargetProfile,
  validateProfile,
} from './profile.js';
