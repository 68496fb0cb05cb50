/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping tensor names to
 * `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative to the byte after the header) plus an
 * optional `__metadata__` string map, then the raw little-endian data. Reading validates everything before
 * any tensor is touched and reports problems as OR3101; values are read lazily.
 */
import { readFile } from 'node:fs/promises';
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';

export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte range inside the file's data section. */
  readonly dataOffsets: readonly [number, number];
  /** float32 values, copied out of the file (safe to keep or mutate). */
  values(): Float32Array;
  /** float32 values without copying when the data is 4-byte aligned in memory; read-only by convention. */
  view(): Float32Array;
}

export interface SafetensorsFile {
  readonly file: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
}

const BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** The reference implementation refuses headers above 100 MB; so do we, before allocating anything. */
const MAX_HEADER = 100_000_000;

/** Reads the header of a `.safetensors` file and gives lazy views of its tensors (float32 values only). */
export function parseSafetensors(
  bytes: Uint8Array,
  file: string,
): { file?: SafetensorsFile; diagnostics: Diagnostic[] } {
  const fail = (reason: string) => ({
    diagnostics: [diagnostic('OR3101', { file, reason }, { graph: { file } })],
  });
  if (bytes.length < 8) return fail('shorter than the 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = dv.getBigUint64(0, true);
  if (declared > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    return fail(
      `header length ${declared} exceeds ${declared > BigInt(MAX_HEADER) ? 'the 100 MB limit' : 'the file size'}`,
    );
  }
  const headerLength = Number(declared);
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch {
    return fail('the header is not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    return fail('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, SafetensorsTensor>();
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (
        typeof raw !== 'object' ||
        raw === null ||
        Array.isArray(raw) ||
        !Object.values(raw).every((v) => typeof v === 'string')
      ) {
        return fail('__metadata__ is not a map of strings');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as {
      dtype?: unknown;
      shape?: unknown;
      data_offsets?: unknown;
    };
    const { dtype, shape, data_offsets: offsets } = entry;
    if (
      typeof dtype !== 'string' ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      return fail(`tensor '${name}' has a malformed entry (needs dtype, shape and two data_offsets)`);
    }
    const width = BYTES[dtype];
    if (width === undefined) return fail(`tensor '${name}' has unknown dtype ${dtype}`);
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!(end >= begin && end <= dataLength))
      return fail(
        `tensor '${name}' has data offsets [${begin}, ${end}] outside the data (${dataLength} bytes)`,
      );
    if (end - begin !== count * width) {
      return fail(
        `tensor '${name}' has ${end - begin} bytes, but ${dtype} [${shape.join(', ')}] needs ${count * width}`,
      );
    }
    ranges.push([begin, end, name]);
    tensors.set(name, tensorView(bytes, dataStart, name, dtype, shape as number[], [begin, end], count));
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let k = 1; k < ranges.length; k++) {
    const [prev, cur] = [ranges[k - 1]!, ranges[k]!];
    if (cur[0] < prev[1]) return fail(`tensors '${prev[2]}' and '${cur[2]}' overlap`);
  }
  return { file: { file, metadata, tensors }, diagnostics: [] };
}

function tensorView(
  bytes: Uint8Array,
  dataStart: number,
  name: string,
  dtype: string,
  shape: readonly number[],
  dataOffsets: [number, number],
  count: number,
): SafetensorsTensor {
  const at = dataStart + dataOffsets[0];
  const requireF32 = () => {
    if (dtype !== 'F32') throw new Error(`tensor ${name} is ${dtype}; only F32 values can be read`);
  };
  // Values are little-endian on disk; every platform Node 20 supports is little-endian too.
  return {
    name,
    dtype,
    shape,
    dataOffsets,
    values() {
      requireF32();
      // The Uint8Array constructor copies; `slice` would not on a Node Buffer (its slices share pooled memory).
      const copy = new Uint8Array(bytes.subarray(at, at + count * 4));
      return new Float32Array(copy.buffer, 0, count);
    },
    view() {
      requireF32();
      const offset = bytes.byteOffset + at;
      return offset % 4 === 0 ? new Float32Array(bytes.buffer, offset, count) : this.values();
    },
  };
}

export interface SafetensorsReadResult {
  readonly file?: SafetensorsFile;
  readonly diagnostics: Diagnostic[];
}

/** Reads and parses a file; a missing or unreadable file is OR3001. */
export async function readSafetensors(path: string, what = 'weights file'): Promise<SafetensorsReadResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return { diagnostics: [diagnostic('OR3001', { what, file: path, reason }, { graph: { file: path } })] };
  }
  return parseSafetensors(bytes, path);
}

export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Encodes float32 tensors as a safetensors file. Tensors are laid out in name order and the header is
 * padded with spaces to a multiple of 8 bytes, so every tensor starts 8-byte aligned (zero-copy readable).
 */
export function encodeSafetensors(
  tensors: readonly TensorToWrite[],
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of sorted) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(
        `tensor ${t.name}: shape [${t.shape}] holds ${count} values, data has ${t.data.length}`,
      );
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  while ((8 + encoder.encode(json).length) % 8 !== 0) json += ' ';
  const headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of sorted) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
