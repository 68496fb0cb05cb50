export { Builder, collectNames, type NodeSpec, removeNode, replaceAllUsesWith } from './builder.js';
export { exportModelProto, writeModel } from './export.js';
export {
  type AttributeValue,
  allGraphs,
  Graph,
  type Initializer,
  Model,
  Node,
  type OpsetImport,
  Value,
} from './graph.js';
export { importModel, readModel } from './import.js';
export { discoverLayers, KNOWN_LAYER_PATTERNS, type Layer, type LayerDiscovery } from './layers.js';
export { printGraph, printModel } from './print.js';
export { initializerFloat32 } from './tensor-data.js';
export { type Dim, ElementType, elementTypeName, type TensorType } from './types.js';
export { verifyModel } from './verify.js';
