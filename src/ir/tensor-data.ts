import { initializerBytes } from './external-data.js';
import type { Initializer } from './graph.js';

/** The float32 values of an initializer (raw_data, external data read on demand, or float_data). */
export function initializerFloat32(init: Initializer): Float32Array {
  const bytes = initializerBytes(init);
  if (bytes) {
    const copy = new Uint8Array(bytes);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(init.tensor.floatData ?? []);
}
