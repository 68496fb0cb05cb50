export { type AttributeValue, Graph, type Initializer, Model, Node, type OpsetImport, Value, allGraphs } from './graph.js';
export { ElementType, type Dim, type TensorType, elementTypeName } from './types.js';
export { importModel, readModel } from './import.js';
export { exportModelProto, writeModel } from './export.js';
export { Builder, type NodeSpec, collectNames, removeNode, replaceAllUsesWith } from './builder.js';
export { verifyModel } from './verify.js';
export { printGraph, printModel } from './print.js';
export { discoverLayers, KNOWN_LAYER_PATTERNS, type Layer, type LayerDiscovery } from './layers.js';
export { initializerFloat32 } from './tensor-data.js';
