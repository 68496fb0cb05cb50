import type { NpyArray } from '../io/index.js';
import type { HostTensor } from '../runtime/tensors.js';

/** Rows [start, start + count) of a batch-major `.npy` array, as a runtime input tensor. */
export function npyRows(array: NpyArray, start: number, count: number): HostTensor {
  const width = array.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = array.data.slice(start * width, (start + count) * width);
  const elementType = array.dtype === 'int64' ? 'int64' : array.dtype === 'float64' ? 'float64' : 'float32';
  return { elementType, dims: [count, ...array.shape.slice(1)], data: data as HostTensor['data'] };
}
