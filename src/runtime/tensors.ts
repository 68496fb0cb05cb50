import type { ElementType } from './manifest.js';

/** A plain tensor the runtime accepts and returns, independent of the onnxruntime flavour. */
export interface HostTensor {
  readonly elementType: ElementType;
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;
}

/** Builds an int64 tensor from plain numbers (token ids, masks), the common case for text models. */
export function int64Tensor(values: ArrayLike<number | bigint>, dims: readonly number[]): HostTensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return { elementType: 'int64', dims, data };
}

export function float32Tensor(values: ArrayLike<number>, dims: readonly number[]): HostTensor {
  return { elementType: 'float32', dims, data: Float32Array.from(values) };
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
