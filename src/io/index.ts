export { copyFileAtomic, isSamePath, writeFileAtomic } from './atomic-write.js';
export {
  encodeNpy,
  type NpyArray,
  type NpyData,
  type NpyDtype,
  type NpyReadResult,
  parseNpy,
  readNpy,
  writeNpy,
} from './npy.js';
export { readNpyFolder } from './npy-folder.js';
export {
  encodeSafetensors,
  parseSafetensors,
  type SafetensorsFile,
  type SafetensorsTensor,
  type TensorToWrite,
} from './safetensors.js';
