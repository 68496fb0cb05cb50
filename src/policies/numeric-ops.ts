import type { DType, PolicyOps } from './ops.js';

/** A small dense tensor: enough for per-sample policy arithmetic ([B], [B, C], [B, H]). */
export interface NumTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Rounds a result to the precision of its dtype, as an ONNX kernel of that dtype would store it. */
function store(dtype: DType, v: number): number {
  switch (dtype) {
    case 'float32':
      return Math.fround(v);
    case 'int64':
      return Math.trunc(v);
    case 'bool':
      return v ? 1 : 0;
    default:
      return v;
  }
}

export function tensor(dtype: DType, shape: readonly number[], data: ArrayLike<number>): NumTensor {
  return { dtype, shape: [...shape], data: Array.from(data, (v) => store(dtype, v)) };
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

/** Index of `flat` (in `shape`) inside a broadcast operand of shape `from`. */
function sourceIndex(flat: number, shape: readonly number[], from: readonly number[]): number {
  let index = 0;
  let stride = 1;
  let rest = flat;
  const offset = shape.length - from.length;
  const coords: number[] = new Array(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    coords[k] = rest % shape[k]!;
    rest = Math.floor(rest / shape[k]!);
  }
  for (let k = from.length - 1; k >= 0; k--) {
    const c = from[k] === 1 ? 0 : coords[k + offset]!;
    index += c * stride;
    stride *= from[k]!;
  }
  return index;
}

function map2(a: NumTensor, b: NumTensor, dtype: DType, f: (x: number, y: number) => number): NumTensor {
  const shape = broadcastShape(a.shape, b.shape);
  const n = size(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    data[i] = store(dtype, f(a.data[sourceIndex(i, shape, a.shape)]!, b.data[sourceIndex(i, shape, b.shape)]!));
  }
  return { dtype, shape, data };
}

function map1(x: NumTensor, dtype: DType, f: (v: number) => number): NumTensor {
  return { dtype, shape: x.shape, data: x.data.map((v) => store(dtype, f(v))) };
}

/** Applies `f` to each row along the last axis; `f` returns a row (same length) or a single value. */
function rows(x: NumTensor, dtype: DType, f: (row: number[]) => number[] | number): NumTensor {
  const width = x.shape[x.shape.length - 1] ?? 1;
  const outer = x.shape.slice(0, -1);
  const results: number[] = [];
  // The output row width (a reduction drops the axis) is whatever `f` returns.
  let outWidth: number | undefined;
  for (let r = 0; r < size(outer); r++) {
    const out = f(x.data.slice(r * width, (r + 1) * width) as number[]);
    if (typeof out === 'number') {
      outWidth = 0;
      results.push(store(dtype, out));
    } else {
      outWidth = out.length;
      results.push(...out.map((v) => store(dtype, v)));
    }
  }
  return { dtype, shape: outWidth === 0 ? outer : [...outer, outWidth ?? width], data: results };
}

const f32 = Math.fround;

/** Softmax as ONNX kernels compute it in float32: subtract the max, exponentiate, divide by the sum. */
function softmaxRow(row: number[], scale = 1): number[] {
  const z = row.map((v) => f32(v * scale));
  const max = Math.max(...z);
  const e = z.map((v) => f32(Math.exp(f32(v - max))));
  let sum = 0;
  for (const v of e) sum = f32(sum + v);
  return e.map((v) => f32(v / sum));
}

function logSoftmaxRow(row: number[]): number[] {
  const max = Math.max(...row);
  let sum = 0;
  for (const v of row) sum = f32(sum + f32(Math.exp(f32(v - max))));
  const log = f32(Math.log(sum));
  return row.map((v) => f32(f32(v - max) - log));
}

/**
 * The numeric interpretation of the policy op set: the TypeScript reference evaluator.
 * `parameters` are the thresholds; `weights` resolve weight keys for the current exit.
 */
export class NumericOps implements PolicyOps<NumTensor> {
  constructor(
    private readonly parameters: Readonly<Record<string, NumTensor>>,
    private readonly weights: (key: string) => NumTensor,
  ) {}

  constant(value: number, dtype: DType): NumTensor {
    return tensor(dtype, [], [value]);
  }
  parameter(name: string): NumTensor {
    const p = this.parameters[name];
    if (!p) throw new Error(`policy parameter '${name}' was not given`);
    return p;
  }
  weight(key: string): NumTensor {
    return this.weights(key);
  }
  zerosLike(x: NumTensor): NumTensor {
    return { dtype: x.dtype, shape: x.shape, data: x.data.map(() => 0) };
  }
  add(a: NumTensor, b: NumTensor) {
    return map2(a, b, a.dtype, (x, y) => x + y);
  }
  sub(a: NumTensor, b: NumTensor) {
    return map2(a, b, a.dtype, (x, y) => x - y);
  }
  mul(a: NumTensor, b: NumTensor) {
    return map2(a, b, a.dtype, (x, y) => x * y);
  }
  div(a: NumTensor, b: NumTensor) {
    return map2(a, b, a.dtype, (x, y) => (a.dtype === 'int64' ? Math.trunc(x / y) : x / y));
  }
  neg(x: NumTensor) {
    return map1(x, x.dtype, (v) => -v);
  }
  abs(x: NumTensor) {
    return map1(x, x.dtype, Math.abs);
  }
  less(a: NumTensor, b: NumTensor) {
    return map2(a, b, 'bool', (x, y) => Number(x < y));
  }
  lessOrEqual(a: NumTensor, b: NumTensor) {
    return map2(a, b, 'bool', (x, y) => Number(x <= y));
  }
  greater(a: NumTensor, b: NumTensor) {
    return map2(a, b, 'bool', (x, y) => Number(x > y));
  }
  greaterOrEqual(a: NumTensor, b: NumTensor) {
    return map2(a, b, 'bool', (x, y) => Number(x >= y));
  }
  equal(a: NumTensor, b: NumTensor) {
    return map2(a, b, 'bool', (x, y) => Number(x === y));
  }
  and(a: NumTensor, b: NumTensor) {
    return map2(a, b, 'bool', (x, y) => Number(x !== 0 && y !== 0));
  }
  or(a: NumTensor, b: NumTensor) {
    return map2(a, b, 'bool', (x, y) => Number(x !== 0 || y !== 0));
  }
  not(x: NumTensor) {
    return map1(x, 'bool', (v) => Number(v === 0));
  }
  where(c: NumTensor, a: NumTensor, b: NumTensor): NumTensor {
    const shape = broadcastShape(broadcastShape(c.shape, a.shape), b.shape);
    const data = Array.from({ length: size(shape) }, (_, i) =>
      c.data[sourceIndex(i, shape, c.shape)] ? a.data[sourceIndex(i, shape, a.shape)]! : b.data[sourceIndex(i, shape, b.shape)]!,
    );
    return { dtype: a.dtype, shape, data };
  }
  cast(x: NumTensor, to: DType) {
    return map1(x, to, (v) => v);
  }
  sigmoid(x: NumTensor) {
    return map1(x, x.dtype, (v) => 1 / (1 + Math.exp(-v)));
  }
  tanh(x: NumTensor) {
    return map1(x, x.dtype, Math.tanh);
  }
  softmax(x: NumTensor) {
    return rows(x, x.dtype, (r) => softmaxRow(r));
  }
  logSoftmax(x: NumTensor) {
    return rows(x, x.dtype, logSoftmaxRow);
  }
  reduceMax(x: NumTensor) {
    return rows(x, x.dtype, (r) => Math.max(...r));
  }
  reduceSum(x: NumTensor) {
    return rows(x, x.dtype, (r) => r.reduce((s, v) => store(x.dtype, s + v), 0));
  }
  reduceLogSumExp(x: NumTensor) {
    return rows(x, x.dtype, (r) => {
      const max = Math.max(...r);
      let sum = 0;
      for (const v of r) sum = f32(sum + f32(Math.exp(f32(v - max))));
      return f32(Math.log(sum)) + max;
    });
  }
  argmax(x: NumTensor) {
    // First maximal index on ties, as PyTorch and ONNX (select_last_index = 0) both do.
    return rows(x, 'int64', (r) => r.reduce((best, v, k) => (v > r[best]! ? k : best), 0));
  }
  top2(x: NumTensor): readonly [NumTensor, NumTensor] {
    const sorted = (r: number[]) => [...r].sort((a, b) => b - a);
    return [rows(x, x.dtype, (r) => sorted(r)[0]!), rows(x, x.dtype, (r) => sorted(r)[1]!)];
  }
  concat(parts: readonly NumTensor[]): NumTensor {
    const outer = parts[0]!.shape.slice(0, -1);
    const widths = parts.map((p) => p.shape[p.shape.length - 1]!);
    const data: number[] = [];
    for (let r = 0; r < size(outer); r++) {
      parts.forEach((p, k) => data.push(...p.data.slice(r * widths[k]!, (r + 1) * widths[k]!)));
    }
    return { dtype: parts[0]!.dtype, shape: [...outer, widths.reduce((a, b) => a + b, 0)], data };
  }
  stack(parts: readonly NumTensor[]): NumTensor {
    return this.concat(parts.map((p) => this.unsqueezeLast(p)));
  }
  unsqueezeLast(x: NumTensor): NumTensor {
    return { dtype: x.dtype, shape: [...x.shape, 1], data: x.data };
  }
  linear(x: NumTensor, weight: NumTensor, bias: NumTensor): NumTensor {
    const [out, inner] = weight.shape as [number, number];
    return rows(x, x.dtype, (r) => {
      const y: number[] = [];
      for (let o = 0; o < out; o++) {
        let acc = 0;
        for (let k = 0; k < inner; k++) acc += r[k]! * weight.data[o * inner + k]!;
        y.push(f32(f32(acc) + bias.data[o]!));
      }
      return y;
    });
  }
}
