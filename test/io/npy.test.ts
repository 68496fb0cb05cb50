import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, type NpyArray, parseNpy, readNpy, writeNpy } from '../../src/io/index.js';

/** Builds a .npy file by hand, the way numpy lays it out, so the parser is not only tested against the encoder. */
function npyBytes(header: string, data: Uint8Array, version = 1): Uint8Array {
  const preamble = version === 1 ? 10 : 12;
  const padded = `${header}${' '.repeat((64 - ((preamble + header.length + 1) % 64)) % 64)}\n`;
  const out = new Uint8Array(preamble + padded.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), preamble);
  out.set(data, preamble + padded.length);
  return out;
}

/** Element values of any typed array, for comparisons (bigint and number arrays alike). */
const elements = (data: NpyArray['data'] | undefined): unknown[] =>
  data ? [...(data as Iterable<unknown>)] : [];

const scratch = await mkdtemp(join(tmpdir(), 'offramp-npy-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('parseNpy', () => {
  it('reads a hand-built v1.0 float32 matrix with its values in C order', () => {
    const values = new Float32Array([1.5, -2, 3.25, 0, 7, -0.125]);
    const bytes = npyBytes(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      new Uint8Array(values.buffer),
    );
    const { array, diagnostics } = parseNpy(bytes, 'm.npy');
    expect(diagnostics).toEqual([]);
    expect(array?.dtype).toBe('float32');
    expect(array?.shape).toEqual([2, 3]);
    expect(Array.from(array?.data as Float32Array)).toEqual([1.5, -2, 3.25, 0, 7, -0.125]);
  });

  it('reads v2.0 headers, 1-d and 0-d shapes', () => {
    const ints = new BigInt64Array([5n, -9007199254740993n]);
    const v2 = parseNpy(
      npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(ints.buffer), 2),
      'a',
    );
    expect(v2.array?.shape).toEqual([2]);
    expect(Array.from(v2.array?.data as BigInt64Array)).toEqual([5n, -9007199254740993n]);
    const scalar = parseNpy(
      npyBytes(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
        new Uint8Array(new Float64Array([Math.PI]).buffer),
      ),
      's',
    );
    expect(scalar.array?.shape).toEqual([]);
    expect(scalar.array?.data[0]).toBe(Math.PI);
  });

  it('reads the eval labels numpy wrote for the encoder fixture', async () => {
    const { array, diagnostics } = await readNpy('fixtures/encoder/eval/labels.npy');
    expect(diagnostics).toEqual([]);
    expect(array?.dtype).toBe('int64');
    expect(array?.shape.length).toBe(1);
    const labels = Array.from(array?.data as BigInt64Array, Number);
    expect(labels.every((l) => l >= 0 && l < 4)).toBe(true);
    expect(new Set(labels).size).toBe(4);
  });

  it.each([
    ['no magic', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'OR7101', /\\x93NUMPY/],
    [
      'version 4',
      (() => {
        const b = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", new Uint8Array());
        b[6] = 4;
        return b;
      })(),
      'OR7101',
      /format version 4/,
    ],
    [
      'cut-off header',
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)).subarray(
        0,
        40,
      ),
      'OR7101',
      /header is cut off/,
    ],
    [
      'missing shape',
      npyBytes("{'descr': '<f4', 'fortran_order': False, }", new Uint8Array(4)),
      'OR7101',
      /lacks/,
    ],
    [
      'bad shape',
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", new Uint8Array(8)),
      'OR7101',
      /not a tuple/,
    ],
    [
      'short data',
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(8)),
      'OR7101',
      /needs 12 data bytes, the file has 8/,
    ],
    [
      'big-endian',
      npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)),
      'OR7102',
      /'>f4'/,
    ],
    [
      'complex',
      npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)),
      'OR7102',
      /<f4, <f8/,
    ],
    [
      'Fortran order',
      npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(16)),
      'OR7103',
      /Fortran order/,
    ],
  ])('reports %s as a diagnostic', (_name, bytes, code, message) => {
    const { array, diagnostics } = parseNpy(bytes, 'bad.npy');
    expect(array).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual([code]);
    expect(diagnostics[0]?.message).toMatch(message);
    expect(diagnostics[0]?.graph?.file).toBe('bad.npy');
  });

  it('reports a missing file as OR7001', async () => {
    const { diagnostics } = await readNpy(join(scratch, 'absent.npy'));
    expect(diagnostics.map((d) => d.code)).toEqual(['OR7001']);
  });
});

describe('encodeNpy / writeNpy', () => {
  const samples: NpyArray[] = [
    { dtype: 'float32', shape: [2, 2], data: new Float32Array([0.1, -0, Number.POSITIVE_INFINITY, 3]) },
    { dtype: 'float64', shape: [3], data: new Float64Array([1e-300, -2.5, Number.NaN]) },
    { dtype: 'int64', shape: [1, 2], data: new BigInt64Array([-1n, 2n ** 62n]) },
    { dtype: 'int32', shape: [2, 1, 1], data: new Int32Array([-2147483648, 7]) },
    { dtype: 'int16', shape: [0, 4], data: new Int16Array([]) },
    { dtype: 'uint8', shape: [3], data: new Uint8Array([0, 128, 255]) },
    { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) },
  ];

  it.each(samples.map((s) => [s.dtype, s] as const))('round-trips %s', (_dtype, sample) => {
    const bytes = encodeNpy(sample);
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + headerLength) % 64).toBe(0);
    const { array, diagnostics } = parseNpy(bytes, 'x.npy');
    expect(diagnostics).toEqual([]);
    expect(array?.dtype).toBe(sample.dtype);
    expect(array?.shape).toEqual(sample.shape);
    expect(elements(array?.data)).toEqual(elements(sample.data));
  });

  it('writes byte-identical copies of what numpy wrote', async () => {
    const original = new Uint8Array(await readFile('fixtures/encoder/reference/jei_gates.npy'));
    const { array } = parseNpy(original, 'jei_gates.npy');
    if (!array) throw new Error('fixture did not parse');
    const copy = join(scratch, 'copy.npy');
    await writeNpy(copy, array);
    expect(new Uint8Array(await readFile(copy))).toEqual(original);
  });

  it('rejects data that does not fill the shape', () => {
    expect(() => encodeNpy({ dtype: 'int32', shape: [2, 2], data: new Int32Array(3) })).toThrow(/4 elements/);
  });

  it('reads files whose data section is not aligned for the element size', async () => {
    const path = join(scratch, 'odd.npy');
    const values = new Float64Array([2.5, -1]);
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    // 10 + 63 = 73 bytes of preamble and header: the float64 data starts at an odd offset.
    const text = `${header}${' '.repeat(63 - header.length - 1)}\n`;
    const bytes = new Uint8Array(10 + text.length + 16);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(bytes.buffer).setUint16(8, text.length, true);
    bytes.set(new TextEncoder().encode(text), 10);
    bytes.set(new Uint8Array(values.buffer), 10 + text.length);
    await writeFile(path, bytes);
    const { array } = await readNpy(path);
    expect(Array.from(array?.data as Float64Array)).toEqual([2.5, -1]);
  });
});
