/**
 * float32 → IEEE 754 half precision, round to nearest even; values beyond ±65504 saturate to ±65504
 * (infinity would poison the LayerNorm-free matmul outputs), NaN stays NaN. Written here because the
 * conversion is a few lines and the npm packages for it are either unmaintained or polyfill a whole API.
 */
const view = new DataView(new ArrayBuffer(4));

export function float32ToFloat16Bits(value: number): number {
  view.setFloat32(0, value);
  const bits = view.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa ? sign | 0x7e00 : sign | 0x7bff; // NaN stays NaN; ±Inf saturates
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7bff; // beyond the half range: saturate to ±65504
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    // Subnormal half: shift the mantissa (with its implicit bit) into place, rounding to nearest even.
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    const half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (half + (rest > midpoint || (rest === midpoint && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  const rounded = half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0);
  return sign | (rounded >= 0x7c00 ? 0x7bff : rounded);
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
