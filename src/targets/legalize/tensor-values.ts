import type { onnx } from 'onnx-proto';
import { ElementType } from '../../ir/index.js';

/** Numbers of a small constant tensor (raw_data or the typed repeated fields); undefined if unreadable. */
export function tensorNumbers(tensor: onnx.ITensorProto): number[] | undefined {
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    const bytes = new Uint8Array(raw).slice();
    const view = new DataView(bytes.buffer);
    const read = (size: number, get: (offset: number) => number) =>
      Array.from({ length: bytes.length / size }, (_, i) => get(i * size));
    switch (tensor.dataType) {
      case ElementType.float32:
        return read(4, (o) => view.getFloat32(o, true));
      case ElementType.float64:
        return read(8, (o) => view.getFloat64(o, true));
      case ElementType.int64:
        return read(8, (o) => Number(view.getBigInt64(o, true)));
      case ElementType.int32:
        return read(4, (o) => view.getInt32(o, true));
      case ElementType.bool:
      case ElementType.uint8:
        return Array.from(bytes);
      default:
        return undefined;
    }
  }
  const fields = [tensor.floatData, tensor.doubleData, tensor.int64Data, tensor.int32Data];
  for (const field of fields)
    if (field && field.length > 0) return Array.from(field as ArrayLike<unknown>, Number);
  const count = (tensor.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  return count === 0 ? [] : undefined;
}

/** `numbers` encoded as a raw_data tensor of `elementType` (int32, int64, float32, float64, bool). */
export function encodeTensor(
  name: string,
  elementType: number,
  dims: readonly number[],
  numbers: readonly number[],
): onnx.ITensorProto {
  let data: ArrayBufferView;
  switch (elementType) {
    case ElementType.int32:
      data = Int32Array.from(numbers);
      break;
    case ElementType.int64:
      data = BigInt64Array.from(numbers, (n) => BigInt(n));
      break;
    case ElementType.float32:
      data = Float32Array.from(numbers);
      break;
    case ElementType.float64:
      data = Float64Array.from(numbers);
      break;
    case ElementType.bool:
    case ElementType.uint8:
      data = Uint8Array.from(numbers);
      break;
    default:
      throw new Error(`encodeTensor: element type ${elementType} is not supported`);
  }
  return {
    name,
    dims: [...dims],
    dataType: elementType,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
  };
}
