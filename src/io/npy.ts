/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): little-endian, C-order arrays of the dtypes the
 * fixtures and runtimes exchange. Problems with a file are reported as diagnostics, never thrown.
 */
import { readFile } from 'node:fs/promises';
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { writeFileAtomic } from './atomic-write.js';

export type NpyDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'uint8' | 'bool';
/** `bool` arrays are stored one byte per element (0 or 1) in a Uint8Array. */
export type NpyData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Uint8Array;

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: NpyData;
}

export interface NpyReadResult {
  readonly array?: NpyArray;
  readonly diagnostics: Diagnostic[];
}

const DTYPE_OF_DESCR: Readonly<Record<string, NpyDtype>> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '<i2': 'int16',
  '|u1': 'uint8',
  '|b1': 'bool',
};
const DESCR_OF_DTYPE: Readonly<Record<NpyDtype, string>> = {
  float32: '<f4',
  float64: '<f8',
  int64: '<i8',
  int32: '<i4',
  int16: '<i2',
  uint8: '|u1',
  bool: '|b1',
};
const ITEM_BYTES: Readonly<Record<NpyDtype, number>> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  uint8: 1,
  bool: 1,
};
const MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59); // "\x93NUMPY"
/** numpy pads the preamble + header to a multiple of 64 bytes so the data section is aligned. */
const HEADER_ALIGNMENT = 64;

function typedView(dtype: NpyDtype, bytes: Uint8Array, count: number): NpyData {
  // Copy into a fresh buffer: the data section of a .npy file need not be aligned for the element size.
  // (The constructor copies; `slice` would not on a Node Buffer, whose slices share the pooled memory.)
  const own = new Uint8Array(bytes.subarray(0, count * ITEM_BYTES[dtype]));
  switch (dtype) {
    case 'float32':
      return new Float32Array(own.buffer, 0, count);
    case 'float64':
      return new Float64Array(own.buffer, 0, count);
    case 'int64':
      return new BigInt64Array(own.buffer, 0, count);
    case 'int32':
      return new Int32Array(own.buffer, 0, count);
    case 'int16':
      return new Int16Array(own.buffer, 0, count);
    case 'uint8':
    case 'bool':
      return own;
  }
}

/** Reads one `'key': value` entry of the header's Python dict literal. */
function headerField(header: string, key: string, value: string): string | undefined {
  return new RegExp(`['"]${key}['"]\\s*:\\s*${value}`).exec(header)?.[1];
}

function parseShape(text: string): number[] | undefined {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.at(-1) === '') parts.pop(); // "(3,)" and "()" leave a trailing empty part
  if (parts.some((p) => !/^\d+$/.test(p))) return undefined;
  return parts.map(Number);
}

/** Parses the bytes of a `.npy` file; `file` names it in diagnostics. */
export function parseNpy(bytes: Uint8Array, file: string): NpyReadResult {
  const malformed = (reason: string): NpyReadResult => ({
    diagnostics: [diagnostic('OR7101', { file, reason }, { graph: { file } })],
  });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    return malformed('it does not start with \\x93NUMPY');
  const major = bytes[6] ?? 0;
  if (major < 1 || major > 3) return malformed(`format version ${major}.${bytes[7]} is not 1.0, 2.0 or 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) return malformed('the header length is cut off');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) return malformed('the header is cut off');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, dataStart),
  );
  const descr = headerField(header, 'descr', `['"]([^'"]+)['"]`);
  const fortran = headerField(header, 'fortran_order', '(True|False)');
  const shapeText = headerField(header, 'shape', '\\(([^)]*)\\)');
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return malformed("the header lacks 'descr', 'fortran_order' or 'shape'");
  }
  const dtype = DTYPE_OF_DESCR[descr];
  if (dtype === undefined) {
    const supported = Object.keys(DTYPE_OF_DESCR).join(', ');
    return { diagnostics: [diagnostic('OR7102', { file, descr, supported }, { graph: { file } })] };
  }
  if (fortran === 'True') return { diagnostics: [diagnostic('OR7103', { file }, { graph: { file } })] };
  const shape = parseShape(shapeText);
  if (shape === undefined) return malformed(`the shape (${shapeText}) is not a tuple of sizes`);
  const count = shape.reduce((a, b) => a * b, 1);
  const needed = count * ITEM_BYTES[dtype];
  if (bytes.length - dataStart !== needed) {
    return malformed(
      `shape (${shape.join(', ')}) needs ${needed} data bytes, the file has ${bytes.length - dataStart}`,
    );
  }
  return {
    array: { dtype, shape, data: typedView(dtype, bytes.subarray(dataStart), count) },
    diagnostics: [],
  };
}

/** Reads a `.npy` file; an unreadable file is reported as OR7001. */
export async function readNpy(path: string): Promise<NpyReadResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return {
      diagnostics: [
        diagnostic('OR7001', { file: path, reason: (error as Error).message }, { graph: { file: path } }),
      ],
    };
  }
  return parseNpy(bytes, path);
}

/** Serialises an array as `.npy` format 1.0 (2.0 when the header exceeds 65535 bytes), as numpy writes it. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== count) {
    throw new Error(
      `encodeNpy: shape (${array.shape.join(', ')}) holds ${count} elements, data has ${array.data.length}`,
    );
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = `{'descr': '${DESCR_OF_DTYPE[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const version = dict.length + 11 + HEADER_ALIGNMENT > 0xffff ? 2 : 1;
  const preamble = version === 1 ? 10 : 12;
  const padding = (HEADER_ALIGNMENT - ((preamble + dict.length + 1) % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT;
  const header = new TextEncoder().encode(`${dict}${' '.repeat(padding)}\n`);
  const data = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(preamble + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, preamble);
  out.set(data, preamble + header.length);
  return out;
}

/** Writes a `.npy` file atomically. */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await writeFileAtomic(path, encodeNpy(array));
}
