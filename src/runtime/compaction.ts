import * as ort from 'onnxruntime-node';

/** A typed array, seen through the three operations compaction needs. */
interface RowStore {
  readonly constructor: new (length: number) => RowStore;
  subarray(begin: number, end: number): RowStore;
  set(source: RowStore, offset: number): void;
}

/** Rows `keep` of a batch-major tensor (axis 0), as a new tensor (the tensor itself when all rows stay). */
export function takeRows(tensor: ort.Tensor, keep: readonly number[]): ort.Tensor {
  const [batch = 0, ...rest] = tensor.dims;
  if (keep.length === batch) return tensor;
  const width = rest.reduce((a, b) => a * b, 1);
  const source = tensor.data as unknown as RowStore;
  const out = new source.constructor(keep.length * width);
  for (const [k, row] of keep.entries()) out.set(source.subarray(row * width, (row + 1) * width), k * width);
  return new ort.Tensor(tensor.type, out as unknown as ort.Tensor.DataType, [keep.length, ...rest]);
}
