export {
  type AddNodeSpec,
  type AttributeInput,
  Builder,
  collectNames,
  type IfSpec,
  mainGraphOf,
  type NodeSpec,
  removeNode,
  removeNodes,
  replaceAllUsesWith,
} from './builder.js';
export { producedElementType } from './element-type-rules.js';
export {
  encodeModelProto,
  encodeModelProtoTo,
  exportModelProto,
  type TensorEmitter,
  writeModel,
} from './export.js';
export {
  type ExternalFile,
  externalFilesOf,
  impliedByteLength,
  initializerBytes,
  isExternal,
  locateExternal,
  readExternal,
} from './external-data.js';
export {
  type AttributeValue,
  allGraphs,
  type ExternalLocation,
  Graph,
  type Initializer,
  Model,
  Node,
  type NodePosition,
  nodeIndex,
  type OpsetImport,
  type ProtoFields,
  type StringStringEntry,
  Value,
} from './graph.js';
export { type ImportOptions, importModel, readModel } from './import.js';
export {
  type InferShapesOptions,
  type InferShapesResult,
  inferShapes,
  type KnownInts,
} from './infer-shapes.js';
export {
  formatInspectReport,
  type InspectedLayer,
  type InspectedValue,
  type InspectOptions,
  type InspectReport,
  inspectModel,
} from './inspect.js';
export {
  discoverLayers,
  KNOWN_LAYER_PATTERNS,
  type Layer,
  type LayerDiscovery,
  validateCuts,
} from './layers.js';
export { discoverLayersByStructure } from './layers-structural.js';
export { currentOnnx } from './onnx-schema.js';
export { printGraph, printModel } from './print.js';
export {
  type ExternalDataOptions,
  layoutModelFiles,
  type ModelFiles,
  type SavedFiles,
  type SaveOptions,
  saveModel,
} from './save.js';
export { initializerFloat32 } from './tensor-data.js';
export { isInside, readsOf, sortTopologically, topologicalOrder } from './topo.js';
export { type Dim, ElementType, elementTypeName, type TensorType } from './types.js';
export { verifyModel } from './verify.js';
