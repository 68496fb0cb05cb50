import type { Initializer } from './graph.js';

/** The float32 values of an initializer (raw_data or float_data storage). */
export function initializerFloat32(init: Initializer): Float32Array {
  const t = init.tensor;
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}
