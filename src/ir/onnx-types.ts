import onnxProto, { type onnx } from 'onnx-proto';

/** The generated protobuf classes. onnx-proto is CommonJS, so under ESM they arrive on the default export. */
export const protos = onnxProto.onnx;

import type { Dim, TensorType } from './types.js';

/** ValueInfoProto type → our TensorType (tensor types only; others stay undefined). */
export function tensorTypeFromProto(type: onnx.ITypeProto | null | undefined): TensorType | undefined {
  const t = type?.tensorType;
  if (!t) return undefined;
  const shape: Dim[] | undefined = t.shape
    ? (t.shape.dim ?? []).map((d) => {
        if (d.dimParam) return d.dimParam;
        if (d.dimValue !== undefined && d.dimValue !== null && String(d.dimValue) !== '0')
          return Number(d.dimValue);
        return d.dimValue !== undefined &&
          d.dimValue !== null &&
          d.dimParam === '' &&
          Number(d.dimValue) === 0
          ? 0
          : undefined;
      })
    : undefined;
  return { elementType: t.elemType ?? 0, ...(shape ? { shape } : {}) };
}

export function tensorTypeToProto(type: TensorType | undefined): onnx.ITypeProto | undefined {
  if (!type) return undefined;
  return {
    tensorType: {
      elemType: type.elementType,
      ...(type.shape
        ? {
            shape: {
              dim: type.shape.map((d) =>
                typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {},
              ),
            },
          }
        : {}),
    },
  };
}

export function valueInfo(name: string, type: TensorType | undefined): onnx.IValueInfoProto {
  const proto = tensorTypeToProto(type);
  return proto ? { name, type: proto } : { name };
}

export type { onnx };
