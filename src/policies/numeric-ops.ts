import type { DType, PolicyOps, ReduceOptions } from './ops.js';

/**
 * A small dense row-major tensor. Every element type is held in a Float64Array: float32 values are stored
 * already rounded to float32 (so they are exact there), int64 values as integers (exact up to 2^53, far
 * beyond any class index or counter), bool as 0/1.
 */
export interface NumTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

const fround = Math.fround;
const identity = (v: number) => v;

/** How a result of type `dtype` is stored, as an ONNX kernel of that type would hold it. */
export function roundTo(dtype: DType): (v: number) => number {
  switch (dtype) {
    case 'float32':
      return fround;
    case 'float64':
      return identity;
    case 'int64':
      return Math.trunc;
    case 'bool':
      // NaN is truthy under C++'s static_cast<bool>, which is what onnxruntime's Cast does.
      return (v) => (v !== 0 ? 1 : 0);
  }
}

export function tensor(dtype: DType, shape: readonly number[], values: ArrayLike<number>): NumTensor {
  const expected = sizeOf(shape);
  if (values.length !== expected)
    throw new Error(`tensor of shape [${shape}] needs ${expected} values, got ${values.length}`);
  const round = roundTo(dtype);
  const data = new Float64Array(expected);
  for (let i = 0; i < expected; i++) data[i] = round(values[i]!);
  return { dtype, shape: [...shape], data };
}

export const scalar = (value: number, dtype: DType): NumTensor => tensor(dtype, [], [value]);

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const da = a[a.length - rank + k] ?? 1;
    const db = b[b.length - rank + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast [${a}] with [${b}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element strides of `from` read as a tensor of (broadcast) shape `to`: 0 along broadcast axes. */
function broadcastStrides(from: readonly number[], to: readonly number[]): number[] {
  const strides = new Array<number>(to.length).fill(0);
  let stride = 1;
  for (let k = from.length - 1; k >= 0; k--) {
    const axis = to.length - from.length + k;
    strides[axis] = from[k] === 1 ? 0 : stride;
    stride *= from[k]!;
  }
  return strides;
}

/** Flat source index of every output element of shape `to`, for an operand of shape `from`. */
function gatherIndex(from: readonly number[], to: readonly number[]): Int32Array {
  const n = sizeOf(to);
  const index = new Int32Array(n);
  if (sizeOf(from) === 1) return index;
  const strides = broadcastStrides(from, to);
  const coords = new Array<number>(to.length).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    index[i] = offset;
    for (let k = to.length - 1; k >= 0; k--) {
      coords[k]!++;
      offset += strides[k]!;
      if (coords[k]! < to[k]!) break;
      offset -= strides[k]! * coords[k]!;
      coords[k] = 0;
    }
  }
  return index;
}

function requireSameType(op: string, ...xs: NumTensor[]): DType {
  const dtype = xs[0]!.dtype;
  for (const x of xs) {
    if (x.dtype !== dtype)
      throw new Error(
        `${op}: operands are ${xs.map((t) => t.dtype).join(' and ')}; ONNX needs one type (cast first)`,
      );
  }
  return dtype;
}

function binary(
  op: string,
  a: NumTensor,
  b: NumTensor,
  out: DType | 'same',
  f: (x: number, y: number) => number,
): NumTensor {
  const operands = requireSameType(op, a, b);
  const dtype = out === 'same' ? operands : out;
  const round = roundTo(dtype);
  const ad = a.data;
  const bd = b.data;
  if (sameShape(a.shape, b.shape)) {
    const data = new Float64Array(ad.length);
    for (let i = 0; i < ad.length; i++) data[i] = round(f(ad[i]!, bd[i]!));
    return { dtype, shape: a.shape, data };
  }
  const shape = broadcastShape(a.shape, b.shape);
  const data = new Float64Array(sizeOf(shape));
  if (bd.length === 1 && sameShape(a.shape, shape)) {
    const y = bd[0]!;
    for (let i = 0; i < ad.length; i++) data[i] = round(f(ad[i]!, y));
  } else if (ad.length === 1 && sameShape(b.shape, shape)) {
    const x = ad[0]!;
    for (let i = 0; i < bd.length; i++) data[i] = round(f(x, bd[i]!));
  } else {
    const ia = gatherIndex(a.shape, shape);
    const ib = gatherIndex(b.shape, shape);
    for (let i = 0; i < data.length; i++) data[i] = round(f(ad[ia[i]!]!, bd[ib[i]!]!));
  }
  return { dtype, shape, data };
}

function unary(x: NumTensor, dtype: DType, f: (v: number) => number): NumTensor {
  const round = roundTo(dtype);
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = round(f(x.data[i]!));
  return { dtype, shape: x.shape, data };
}

function requireFloat(op: string, x: NumTensor): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new Error(`${op} needs a float tensor, got ${x.dtype}`);
}

/** Rows along the last axis: `width` elements each, `count` of them. */
function rowsOf(x: NumTensor): { count: number; width: number; outer: number[] } {
  if (x.shape.length === 0) throw new Error('a last-axis op needs a tensor of rank ≥ 1');
  const width = x.shape[x.shape.length - 1]!;
  const outer = x.shape.slice(0, -1);
  return { count: sizeOf(outer), width, outer };
}

/** A row-wise reduction to one value per row. */
function reduceRows(
  x: NumTensor,
  dtype: DType,
  options: ReduceOptions | undefined,
  f: (row: Float64Array) => number,
): NumTensor {
  const { count, width, outer } = rowsOf(x);
  const round = roundTo(dtype);
  const data = new Float64Array(count);
  for (let r = 0; r < count; r++) data[r] = round(f(x.data.subarray(r * width, (r + 1) * width)));
  return { dtype, shape: options?.keepdims ? [...outer, 1] : outer, data };
}

/** A row-wise map that keeps the row width. */
function mapRows(x: NumTensor, f: (row: Float64Array, out: Float64Array) => void): NumTensor {
  const { count, width } = rowsOf(x);
  const data = new Float64Array(x.data.length);
  for (let r = 0; r < count; r++)
    f(x.data.subarray(r * width, (r + 1) * width), data.subarray(r * width, (r + 1) * width));
  return { dtype: x.dtype, shape: x.shape, data };
}

/**
 * ReduceMax as onnxruntime's kernel scans a row: the first element, replaced by any strictly greater one.
 * A NaN therefore wins only in first place (for rows long enough to vectorise, runtimes leave NaN
 * handling unspecified).
 */
function scanMax(row: Float64Array): number {
  let max = row[0]!;
  for (let c = 1; c < row.length; c++) if (row[c]! > max) max = row[c]!;
  return max;
}

/** The shift of the max-shifted kernels: any NaN makes the whole row NaN anyway. */
function rowMax(row: Float64Array): number {
  let max = -Infinity;
  for (let c = 0; c < row.length; c++) if (row[c]! > max || Number.isNaN(row[c]!)) max = row[c]!;
  return max;
}

/** Σ exp(x − max) in the row's precision, as the max-shifted kernels of ONNX runtimes compute it. */
function shiftedExpSum(row: Float64Array, max: number, round: (v: number) => number): number {
  let sum = 0;
  for (let c = 0; c < row.length; c++) sum = round(sum + round(Math.exp(round(row[c]! - max))));
  return sum;
}

/** Where the numeric interpretation gets its run-time inputs from. */
export interface NumericSources {
  parameter(name: string, exitIndex?: number): NumTensor;
  weight(key: string): NumTensor;
  uniform(exitIndex: number): NumTensor;
}

const missing = (what: string) => (): never => {
  throw new Error(`${what} was not given to the numeric interpretation`);
};

/**
 * The numeric interpretation of the policy op set. float32 results are rounded with `Math.fround` after
 * every elementary operation (the exact result of +, −, ×, ÷ on float32 operands rounded once to float32 is
 * what IEEE float32 hardware produces), float64 stays float64. Transcendentals are computed in float64 and
 * rounded once; onnxruntime's vectorised float32 kernels (exp, tanh, logistic, dot products) can differ by
 * a few units in the last place, which the conformance tests bound.
 */
export class NumericOps implements PolicyOps<NumTensor> {
  private readonly sources: NumericSources;

  constructor(sources: Partial<NumericSources> = {}) {
    this.sources = {
      parameter: sources.parameter ?? missing('a parameter'),
      weight: sources.weight ?? missing('a weight'),
      uniform: sources.uniform ?? missing('the uniform numbers'),
    };
  }

  constant(value: number, dtype: DType): NumTensor {
    return scalar(value, dtype);
  }
  parameter(name: string, exitIndex?: number): NumTensor {
    return this.sources.parameter(name, exitIndex);
  }
  weight(key: string): NumTensor {
    return this.sources.weight(key);
  }
  uniform(exitIndex: number): NumTensor {
    return this.sources.uniform(exitIndex);
  }
  zerosLike(x: NumTensor): NumTensor {
    return { dtype: x.dtype, shape: x.shape, data: new Float64Array(x.data.length) };
  }

  add(a: NumTensor, b: NumTensor) {
    return binary('Add', a, b, 'same', (x, y) => x + y);
  }
  sub(a: NumTensor, b: NumTensor) {
    return binary('Sub', a, b, 'same', (x, y) => x - y);
  }
  mul(a: NumTensor, b: NumTensor) {
    return binary('Mul', a, b, 'same', (x, y) => x * y);
  }
  div(a: NumTensor, b: NumTensor) {
    // int64 division truncates toward zero (C++ semantics, which onnxruntime uses); roundTo('int64') does it.
    return binary('Div', a, b, 'same', (x, y) => x / y);
  }
  min(a: NumTensor, b: NumTensor) {
    return binary('Min', a, b, 'same', Math.min);
  }
  max(a: NumTensor, b: NumTensor) {
    return binary('Max', a, b, 'same', Math.max);
  }
  neg(x: NumTensor) {
    return unary(x, x.dtype, (v) => -v);
  }
  abs(x: NumTensor) {
    return unary(x, x.dtype, Math.abs);
  }
  less(a: NumTensor, b: NumTensor) {
    return binary('Less', a, b, 'bool', (x, y) => Number(x < y));
  }
  lessOrEqual(a: NumTensor, b: NumTensor) {
    return binary('LessOrEqual', a, b, 'bool', (x, y) => Number(x <= y));
  }
  greater(a: NumTensor, b: NumTensor) {
    return binary('Greater', a, b, 'bool', (x, y) => Number(x > y));
  }
  greaterOrEqual(a: NumTensor, b: NumTensor) {
    return binary('GreaterOrEqual', a, b, 'bool', (x, y) => Number(x >= y));
  }
  equal(a: NumTensor, b: NumTensor) {
    return binary('Equal', a, b, 'bool', (x, y) => Number(x === y));
  }
  and(a: NumTensor, b: NumTensor) {
    return binary('And', this.asBool('And', a), this.asBool('And', b), 'bool', (x, y) => x & y);
  }
  or(a: NumTensor, b: NumTensor) {
    return binary('Or', this.asBool('Or', a), this.asBool('Or', b), 'bool', (x, y) => x | y);
  }
  not(x: NumTensor) {
    return unary(this.asBool('Not', x), 'bool', (v) => 1 - v);
  }
  where(condition: NumTensor, whenTrue: NumTensor, whenFalse: NumTensor): NumTensor {
    this.asBool('Where', condition);
    const dtype = requireSameType('Where', whenTrue, whenFalse);
    const shape = broadcastShape(broadcastShape(condition.shape, whenTrue.shape), whenFalse.shape);
    const ic = gatherIndex(condition.shape, shape);
    const it = gatherIndex(whenTrue.shape, shape);
    const ie = gatherIndex(whenFalse.shape, shape);
    const data = new Float64Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) {
      data[i] = condition.data[ic[i]!] ? whenTrue.data[it[i]!]! : whenFalse.data[ie[i]!]!;
    }
    return { dtype, shape, data };
  }
  cast(x: NumTensor, to: DType) {
    return unary(x, to, identity);
  }
  sigmoid(x: NumTensor) {
    requireFloat('Sigmoid', x);
    return unary(x, x.dtype, (v) => 1 / (1 + Math.exp(-v)));
  }
  tanh(x: NumTensor) {
    requireFloat('Tanh', x);
    return unary(x, x.dtype, Math.tanh);
  }
  exp(x: NumTensor) {
    requireFloat('Exp', x);
    return unary(x, x.dtype, Math.exp);
  }
  log(x: NumTensor) {
    requireFloat('Log', x);
    return unary(x, x.dtype, Math.log);
  }

  softmax(x: NumTensor) {
    requireFloat('Softmax', x);
    const round = roundTo(x.dtype);
    return mapRows(x, (row, out) => {
      const max = rowMax(row);
      let sum = 0;
      for (let c = 0; c < row.length; c++) {
        out[c] = round(Math.exp(round(row[c]! - max)));
        sum = round(sum + out[c]!);
      }
      for (let c = 0; c < row.length; c++) out[c] = round(out[c]! / sum);
    });
  }
  logSoftmax(x: NumTensor) {
    requireFloat('LogSoftmax', x);
    const round = roundTo(x.dtype);
    return mapRows(x, (row, out) => {
      const max = rowMax(row);
      const logSum = round(Math.log(shiftedExpSum(row, max, round)));
      for (let c = 0; c < row.length; c++) out[c] = round(round(row[c]! - max) - logSum);
    });
  }
  reduceMax(x: NumTensor, options?: ReduceOptions) {
    return reduceRows(x, x.dtype, options, scanMax);
  }
  reduceSum(x: NumTensor, options?: ReduceOptions) {
    const round = roundTo(x.dtype);
    return reduceRows(x, x.dtype, options, (row) => {
      let sum = 0;
      for (let c = 0; c < row.length; c++) sum = round(sum + row[c]!);
      return sum;
    });
  }
  reduceLogSumExp(x: NumTensor, options?: ReduceOptions) {
    requireFloat('ReduceLogSumExp', x);
    const round = roundTo(x.dtype);
    return reduceRows(x, x.dtype, options, (row) => {
      const max = rowMax(row);
      return round(Math.log(shiftedExpSum(row, max, round))) + max;
    });
  }
  argmax(x: NumTensor, options?: ReduceOptions) {
    // First maximal index on ties, as PyTorch and ONNX (select_last_index = 0) both do.
    return reduceRows(x, 'int64', options, (row) => {
      let best = 0;
      for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
      return best;
    });
  }
  top2(x: NumTensor): readonly [NumTensor, NumTensor] {
    const { count, width, outer } = rowsOf(x);
    if (width < 2) throw new Error('TopK with k = 2 needs a last axis of at least 2');
    const first = new Float64Array(count);
    const second = new Float64Array(count);
    for (let r = 0; r < count; r++) {
      let a = -Infinity;
      let b = -Infinity;
      for (let c = r * width; c < (r + 1) * width; c++) {
        const v = x.data[c]!;
        if (v > a) {
          b = a;
          a = v;
        } else if (v > b) b = v;
      }
      first[r] = a;
      second[r] = b;
    }
    return [
      { dtype: x.dtype, shape: outer, data: first },
      { dtype: x.dtype, shape: outer, data: second },
    ];
  }
  column(x: NumTensor, index: number): NumTensor {
    const { count, width, outer } = rowsOf(x);
    if (index < 0 || index >= width)
      throw new Error(`Gather: index ${index} outside a last axis of ${width}`);
    const data = new Float64Array(count);
    for (let r = 0; r < count; r++) data[r] = x.data[r * width + index]!;
    return { dtype: x.dtype, shape: outer, data };
  }
  concat(parts: readonly NumTensor[]): NumTensor {
    const dtype = requireSameType('Concat', ...parts);
    const outer = parts[0]!.shape.slice(0, -1);
    for (const p of parts) {
      if (!sameShape(p.shape.slice(0, -1), outer))
        throw new Error(`Concat: [${p.shape}] does not match [${outer},*]`);
    }
    const widths = parts.map((p) => p.shape[p.shape.length - 1]!);
    const total = widths.reduce((a, b) => a + b, 0);
    const rows = sizeOf(outer);
    const data = new Float64Array(rows * total);
    for (let r = 0; r < rows; r++) {
      let at = r * total;
      parts.forEach((p, k) => {
        data.set(p.data.subarray(r * widths[k]!, (r + 1) * widths[k]!), at);
        at += widths[k]!;
      });
    }
    return { dtype, shape: [...outer, total], data };
  }
  stack(parts: readonly NumTensor[]): NumTensor {
    return this.concat(parts.map((p) => this.unsqueezeLast(p)));
  }
  unsqueezeLast(x: NumTensor): NumTensor {
    return { dtype: x.dtype, shape: [...x.shape, 1], data: x.data };
  }
  linear(x: NumTensor, weight: NumTensor, bias: NumTensor): NumTensor {
    requireSameType('Gemm', x, weight, bias);
    const [out, inner] = weight.shape as [number, number];
    if (weight.shape.length !== 2 || x.shape.length !== 2 || x.shape[1] !== inner) {
      throw new Error(`Gemm: x [${x.shape}] · Wᵀ with W [${weight.shape}] does not fit`);
    }
    const round = roundTo(x.dtype);
    const rows = x.shape[0]!;
    const data = new Float64Array(rows * out);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < out; o++) {
        // The dot product is accumulated in float64 and rounded once: float32 kernels block and fuse their
        // sums in implementation-specific orders, and the exact value is the one all of them approximate.
        let acc = 0;
        for (let k = 0; k < inner; k++) acc += x.data[r * inner + k]! * weight.data[o * inner + k]!;
        data[r * out + o] = round(round(acc) + bias.data[bias.data.length === 1 ? 0 : o]!);
      }
    }
    return { dtype: x.dtype, shape: [rows, out], data };
  }

  private asBool(op: string, x: NumTensor): NumTensor {
    if (x.dtype !== 'bool') throw new Error(`${op} needs bool operands, got ${x.dtype}`);
    return x;
  }
}
