/** ONNX tensor element types by name, as target profiles spell them. */
export const ELEMENT_TYPES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
} as const;

export type ElementType = keyof typeof ELEMENT_TYPES;

export function isElementType(name: string): name is ElementType {
  return Object.hasOwn(ELEMENT_TYPES, name);
}

/** Name → `TensorProto.DataType` code. */
export function onnxElementType(type: ElementType): number {
  return ELEMENT_TYPES[type];
}

/** `TensorProto.DataType` code → name; undefined for types profiles do not describe (float8, int4, …). */
export function elementTypeFromOnnx(code: number): ElementType | undefined {
  for (const [name, value] of Object.entries(ELEMENT_TYPES)) if (value === code) return name as ElementType;
  return undefined;
}
