import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, normalize, resolve, sep } from 'node:path';
import type { ExternalLocation, Initializer } from './graph.js';
import type { onnx } from './onnx-types.js';

/** `TensorProto.DataLocation.EXTERNAL`. */
export const EXTERNAL = 1;

/** Bytes per element of the fixed-size ONNX element types (int4/uint4 are packed two per byte). */
const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  14: 8,
  15: 16,
  16: 2,
  17: 1,
  18: 1,
  19: 1,
  20: 1,
  23: 0.5,
  21: 0.5,
  22: 0.5,
};

/** The byte size the tensor's dims and element type imply, or undefined for strings and unknown types. */
export function impliedByteLength(tensor: onnx.ITensorProto): number | undefined {
  const size = ELEMENT_BYTES[tensor.dataType ?? 0];
  if (size === undefined) return undefined;
  const count = (tensor.dims ?? []).reduce<number>((n, d) => n * Number(d), 1);
  return Math.ceil(count * size);
}

export function isExternal(tensor: onnx.ITensorProto): boolean {
  return Number(tensor.dataLocation ?? 0) === EXTERNAL;
}

function entry(tensor: onnx.ITensorProto, key: string): string | undefined {
  return tensor.externalData?.find((e) => e.key === key)?.value ?? undefined;
}

/**
 * Resolves an external tensor's location against the model's directory and checks, without reading it,
 * that the file holds the bytes the proto promises. Returns the location, or why it cannot be read.
 */
export function locateExternal(
  tensor: onnx.ITensorProto,
  baseDir: string,
): { location: ExternalLocation } | { problem: string } {
  const location = entry(tensor, 'location');
  if (!location) return { problem: "it has no 'location' entry" };
  // ONNX forbids locations outside the model's directory; onnxruntime rejects them too.
  if (isAbsolute(location) || normalize(location).split(/[\\/]/).includes('..'))
    return { problem: `location '${location}' is not inside the model's directory` };
  const offset = Number(entry(tensor, 'offset') ?? 0);
  const declared = entry(tensor, 'length');
  const path = resolve(baseDir, location);
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return { problem: `'${path}' is not a file` };
    size = stat.size;
  } catch {
    return { problem: `'${path}' does not exist` };
  }
  const length = declared !== undefined ? Number(declared) : (impliedByteLength(tensor) ?? size - offset);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
    return { problem: `offset ${offset} / length ${length} are not byte counts` };
  if (offset + length > size)
    return {
      problem: `'${path}' has ${size} bytes, but the tensor needs bytes ${offset}..${offset + length}`,
    };
  const implied = impliedByteLength(tensor);
  if (implied !== undefined && implied !== length)
    return { problem: `its dims need ${implied} bytes, but the entry says ${length}` };
  return { location: { location, path, offset, length } };
}

/** Reads an external tensor's bytes (only now: import never loads them). */
export function readExternal(location: ExternalLocation): Uint8Array {
  const bytes = Buffer.allocUnsafe(location.length);
  const fd = openSync(location.path, 'r');
  try {
    let done = 0;
    while (done < location.length) {
      const n = readSync(fd, bytes, done, location.length - done, location.offset + done);
      if (n === 0)
        throw new Error(`'${location.path}' ended before byte ${location.offset + location.length}`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/**
 * The initializer's bytes as stored: `raw_data`, or the external range read on demand. `undefined` for
 * tensors kept in typed fields (`float_data`, ...).
 */
export function initializerBytes(init: Initializer): Uint8Array | undefined {
  if (init.external) return readExternal(init.external);
  const raw = init.tensor.rawData;
  return raw && raw.length > 0 ? raw : undefined;
}

/** True when `path` lies inside `directory` (so a model there may reference it by a relative location). */
export function relativeInside(directory: string, path: string): string | undefined {
  const base = resolve(directory) + sep;
  const target = resolve(path);
  return target.startsWith(base) ? target.slice(base.length).split(sep).join('/') : undefined;
}

/** A file a model's external tensors read: its `location` as written, and where it lies. */
export interface ExternalFile {
  readonly location: string;
  readonly path: string;
}

/**
 * The distinct files a model's external tensors (in every subgraph) read, sorted by location. A model
 * written elsewhere with the same locations needs these files at the same relative paths beside it.
 */
export function externalFilesOf(initializers: Iterable<Initializer>): ExternalFile[] {
  const byLocation = new Map<string, ExternalFile>();
  for (const init of initializers)
    if (init.external)
      byLocation.set(init.external.location, { location: init.external.location, path: init.external.path });
  return [...byLocation.values()].sort((a, b) =>
    a.location < b.location ? -1 : a.location > b.location ? 1 : 0,
  );
}
