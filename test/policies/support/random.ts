import { type DType, type NumTensor, tensor } from '../../../src/policies/index.js';

/** A small seeded generator (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi) of `dtype` (rounded to it); integers for int64, 0/1 for bool. */
export function randomTensor(
  random: () => number,
  dtype: DType,
  shape: readonly number[],
  lo = -4,
  hi = 4,
): NumTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => {
    const v = lo + (hi - lo) * random();
    return dtype === 'int64' ? Math.floor(v) : dtype === 'bool' ? Number(random() < 0.5) : v;
  });
  return tensor(dtype, shape, values);
}

/** Distance in float32 units in the last place (0 = bit-identical up to ±0). */
export function ulps32(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  const ordered = (v: number) => {
    const bits = new Int32Array(Float32Array.of(v).buffer)[0]!;
    return bits < 0 ? -2147483648 - bits : bits;
  };
  return Math.abs(ordered(a) - ordered(b));
}
