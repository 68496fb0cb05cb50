import { type Diagnostic, diagnostic } from '../diagnostics/index.js';

export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** float32 values; copied out of the file only when asked for. */
  values(): Float32Array;
}

export interface SafetensorsFile {
  readonly file: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
}

const BYTES: Readonly<Record<string, number>> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };

/** Reads the header of a `.safetensors` file and gives lazy views of its tensors (F32 only for values). */
export function parseSafetensors(bytes: Uint8Array, file: string): { file?: SafetensorsFile; diagnostics: Diagnostic[] } {
  const fail = (reason: string) => ({ diagnostics: [diagnostic('OR3101', { file, reason }, { graph: { file } })] });
  if (bytes.length < 8) return fail('shorter than the 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(dv.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) return fail(`header length ${headerLength} exceeds the file size`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch {
    return fail('the header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('the header is not an object');
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, SafetensorsTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (
      typeof entry.dtype !== 'string' ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isInteger(d) && d >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2
    ) {
      return fail(`tensor '${name}' has a malformed entry`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const width = BYTES[entry.dtype];
    if (width === undefined) return fail(`tensor '${name}' has unsupported dtype ${entry.dtype}`);
    if (!(begin >= 0 && end >= begin && dataStart + end <= bytes.length && end - begin === count * width)) {
      return fail(`tensor '${name}' has data offsets outside the file or not matching its shape`);
    }
    const dtype = entry.dtype;
    tensors.set(name, {
      name,
      dtype,
      shape: shape as number[],
      values() {
        if (dtype !== 'F32') throw new Error(`tensor ${name} is ${dtype}; only F32 values are supported`);
        const copy = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end));
        return new Float32Array(copy.buffer, 0, count);
      },
    });
  }
  return { file: { file, metadata, tensors }, diagnostics: [] };
}
