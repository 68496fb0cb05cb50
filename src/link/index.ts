/** Public surface of linking: resolve a checked `.ramp` model against its ONNX and safetensors files. */
export { type CheckFileResult, checkFile, checkSource } from './check-file.js';
export { FileCache, type LinkedModel, type LinkResult, linkModel } from './link.js';
export {
  type LayerLayout,
  type ModelSymbols,
  modelSymbolsFromIr,
  readModelSymbols,
} from './model-symbols.js';
