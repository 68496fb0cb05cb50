/** ONNX element types (TensorProto.DataType) the compiler reasons about. */
export const ElementType = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
} as const;
export type ElementTypeName = keyof typeof ElementType;

export function elementTypeName(code: number): string {
  const found = Object.entries(ElementType).find(([, v]) => v === code);
  return found ? found[0] : `dtype${code}`;
}

/** A dimension: a fixed size, a symbolic name, or unknown. */
export type Dim = number | string | undefined;

export interface TensorType {
  readonly elementType: number;
  /** `undefined` = unknown rank. */
  readonly shape?: readonly Dim[];
}
