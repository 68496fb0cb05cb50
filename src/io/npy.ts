import { type Diagnostic, diagnostic } from '../diagnostics/index.js';

export type NpyDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'uint8' | 'bool';
export type NpyData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Uint8Array;

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: NpyData;
}

const DESCR: Readonly<Record<string, NpyDtype>> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '<i2': 'int16',
  '|u1': 'uint8',
  '|b1': 'bool',
};
const DESCR_OF: Readonly<Record<NpyDtype, string>> = Object.fromEntries(
  Object.entries(DESCR).map(([k, v]) => [v, k]),
) as Record<NpyDtype, string>;
const BYTES: Readonly<Record<NpyDtype, number>> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  uint8: 1,
  bool: 1,
};
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

function view(dtype: NpyDtype, bytes: Uint8Array, count: number): NpyData {
  // Copy into a fresh aligned buffer: the data section of a .npy file need not be aligned for the element size.
  const own = new Uint8Array(bytes.subarray(0, count * BYTES[dtype]));
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
    default:
      return own;
  }
}

/** Parses a NumPy `.npy` file (format 1.0–3.0, little-endian, C order). */
export function parseNpy(bytes: Uint8Array, file: string): { array?: NpyArray; diagnostics: Diagnostic[] } {
  const fail = (reason: string) => ({ diagnostics: [diagnostic('OR7101', { file, reason }, { graph: { file } })] });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) return fail('missing the \\x93NUMPY magic');
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (major < 1 || major > 3) return fail(`unsupported format version ${major}`);
  if (headerStart + headerLength > bytes.length) return fail('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return fail('malformed header');
  const dtype = DESCR[descr];
  if (!dtype) return fail(`unsupported dtype '${descr}' (supported: ${Object.keys(DESCR).join(', ')})`);
  if (fortran === 'True') return fail('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) return fail('malformed shape');
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (bytes.length - dataStart < count * BYTES[dtype]) return fail('data section shorter than the shape needs');
  return { array: { dtype, shape, data: view(dtype, bytes.subarray(dataStart), count) }, diagnostics: [] };
}

/** Serialises an array as `.npy` format 1.0 with a 64-byte-aligned header. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OF[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64);
  header += '\n';
  const data = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}
