import { describe, expect, it } from 'vitest';
import { NumericOps, type NumTensor, type PolicyOps, tensor } from '../../src/policies/index.js';
import { runInOrt } from './support/onnx-model.js';
import { randomTensor, rng, ulps32 } from './support/random.js';

/**
 * The numeric interpretation against onnxruntime, op by op: each case runs the same policy-op code through
 * `NumericOps` and, lowered by `OnnxOps`, as a one-op ONNX model. Exact ops must agree bit for bit;
 * transcendental and summing kernels within a few float32 ulps (onnxruntime vectorises them).
 */
interface Case {
  readonly name: string;
  readonly inputs: readonly NumTensor[];
  readonly apply: <T>(ops: PolicyOps<T>, xs: T[]) => readonly T[];
  /** Allowed difference (default: exact): float32 ulps, an absolute bound, and float64 relative error. */
  readonly tolerance?: Tolerance;
}

interface Tolerance {
  readonly ulps?: number;
  readonly absolute?: number;
  readonly relative64?: number;
}

/** How far `actual` is outside the tolerance (0 = inside): 0/1 for exact comparisons. */
function excess(expected: number, actual: number, dtype: string, tolerance: Tolerance | undefined): number {
  if (expected === actual || (Number.isNaN(expected) && Number.isNaN(actual))) return 0;
  if (!tolerance) return 1;
  if (dtype === 'float64')
    return Math.abs(expected - actual) <= (tolerance.relative64 ?? 0) * Math.abs(expected) ? 0 : 1;
  if (dtype !== 'float32') return 1;
  const withinAbsolute =
    tolerance.absolute !== undefined && Math.abs(expected - actual) <= tolerance.absolute;
  return withinAbsolute || ulps32(expected, actual) <= (tolerance.ulps ?? 0) ? 0 : 1;
}

/** onnxruntime's vectorised float32 kernels (MLAS exp/tanh/logistic, blocked sums): a few ulps, or ~1e-7 absolute. */
const KERNEL: Tolerance = { ulps: 4, relative64: 1e-14 };

const r = rng(20240601);
const f32 = (shape: number[], lo?: number, hi?: number) => randomTensor(r, 'float32', shape, lo, hi);
const f64 = (shape: number[]) => randomTensor(r, 'float64', shape);
const i64 = (shape: number[], lo = -20, hi = 20) => randomTensor(r, 'int64', shape, lo, hi);
const bool = (shape: number[]) => randomTensor(r, 'bool', shape);
/** Small integers as floats: many exact ties. */
const ties = (shape: number[]) =>
  tensor(
    'float32',
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(r() * 3)),
  );
const nonZero = (t: NumTensor) =>
  tensor(
    t.dtype,
    t.shape,
    Array.from(t.data, (v) => (v === 0 ? 7 : v)),
  );

const binaries = ['add', 'sub', 'mul', 'div', 'min', 'max'] as const;
const comparisons = ['less', 'lessOrEqual', 'greater', 'greaterOrEqual', 'equal'] as const;

const cases: Case[] = [
  // Arithmetic: float32 results rounded after every op, float64 exact, int64 truncating division.
  ...binaries.flatMap((op): Case[] => [
    {
      name: `${op} float32 [5,7]`,
      inputs: [f32([5, 7]), nonZero(f32([5, 7]))],
      apply: (ops, [a, b]) => [ops[op](a!, b!)],
    },
    {
      name: `${op} float32 broadcast [5,7]×[7]`,
      inputs: [f32([5, 7]), nonZero(f32([7]))],
      apply: (ops, [a, b]) => [ops[op](a!, b!)],
    },
    {
      name: `${op} float32 broadcast [5,1]×[1,7]`,
      inputs: [f32([5, 1]), nonZero(f32([1, 7]))],
      apply: (ops, [a, b]) => [ops[op](a!, b!)],
    },
    {
      name: `${op} float32 with scalar`,
      inputs: [f32([6]), nonZero(f32([]))],
      apply: (ops, [a, b]) => [ops[op](a!, b!)],
    },
    {
      name: `${op} float64`,
      inputs: [f64([4, 3]), nonZero(f64([3]))],
      apply: (ops, [a, b]) => [ops[op](a!, b!)],
    },
    {
      name: `${op} int64`,
      inputs: [i64([4, 6]), nonZero(i64([4, 6], -5, 5))],
      apply: (ops, [a, b]) => [ops[op](a!, b!)],
    },
  ]),
  { name: 'neg / abs float32', inputs: [f32([4, 5])], apply: (ops, [x]) => [ops.neg(x!), ops.abs(x!)] },
  { name: 'neg / abs int64', inputs: [i64([9])], apply: (ops, [x]) => [ops.neg(x!), ops.abs(x!)] },
  ...comparisons.flatMap((op): Case[] => [
    {
      name: `${op} float32 (ties)`,
      inputs: [ties([5, 6]), ties([6])],
      apply: (ops, [a, b]) => [ops[op](a!, b!)],
    },
    { name: `${op} float64`, inputs: [f64([5]), f64([])], apply: (ops, [a, b]) => [ops[op](a!, b!)] },
    {
      name: `${op} int64`,
      inputs: [i64([8], -2, 2), i64([8], -2, 2)],
      apply: (ops, [a, b]) => [ops[op](a!, b!)],
    },
  ]),
  { name: 'equal bool', inputs: [bool([10]), bool([10])], apply: (ops, [a, b]) => [ops.equal(a!, b!)] },
  {
    name: 'and / or / not',
    inputs: [bool([4, 5]), bool([5])],
    apply: (ops, [a, b]) => [ops.and(a!, b!), ops.or(a!, b!), ops.not(a!)],
  },
  {
    name: 'where float32 broadcast',
    inputs: [bool([4, 1]), f32([4, 6]), f32([])],
    apply: (ops, [c, a, b]) => [ops.where(c!, a!, b!)],
  },
  {
    name: 'where int64',
    inputs: [bool([7]), i64([7]), i64([7])],
    apply: (ops, [c, a, b]) => [ops.where(c!, a!, b!)],
  },
  // Cast: float → int64 truncates toward zero, float64 → float32 rounds to nearest even, float → bool is x ≠ 0.
  {
    name: 'cast float32 → int64 / bool / float64',
    inputs: [f32([12], -3, 3)],
    apply: (ops, [x]) => [ops.cast(x!, 'int64'), ops.cast(x!, 'bool'), ops.cast(x!, 'float64')],
  },
  { name: 'cast float64 → float32', inputs: [f64([12])], apply: (ops, [x]) => [ops.cast(x!, 'float32')] },
  {
    name: 'cast int64 / bool → float32',
    inputs: [i64([8]), bool([8])],
    apply: (ops, [a, b]) => [ops.cast(a!, 'float32'), ops.cast(b!, 'float32'), ops.cast(b!, 'int64')],
  },
  // Transcendentals.
  {
    name: 'sigmoid / tanh / exp float32',
    inputs: [f32([6, 8], -10, 10)],
    apply: (ops, [x]) => [ops.sigmoid(x!), ops.tanh(x!), ops.exp(x!)],
    tolerance: { ...KERNEL, absolute: 2 ** -23 },
  },
  {
    name: 'log float32',
    inputs: [f32([20], 0.001, 50)],
    apply: (ops, [x]) => [ops.log(x!)],
    tolerance: KERNEL,
  },
  {
    name: 'sigmoid / tanh / exp / log float64',
    inputs: [f64([10])],
    apply: (ops, [x]) => [ops.sigmoid(x!), ops.tanh(x!), ops.exp(x!), ops.log(ops.abs(x!))],
    tolerance: KERNEL,
  },
  // Along the last axis.
  {
    name: 'softmax / logSoftmax float32',
    inputs: [f32([6, 9], -8, 8)],
    apply: (ops, [x]) => [ops.softmax(x!), ops.logSoftmax(x!)],
    tolerance: KERNEL,
  },
  {
    name: 'softmax float64',
    inputs: [f64([3, 5])],
    apply: (ops, [x]) => [ops.softmax(x!), ops.logSoftmax(x!)],
    tolerance: KERNEL,
  },
  {
    name: 'reduceMax (keepdims 0 / 1)',
    inputs: [f32([5, 7])],
    apply: (ops, [x]) => [ops.reduceMax(x!), ops.reduceMax(x!, { keepdims: true })],
  },
  {
    name: 'reduceSum float32 (keepdims 0 / 1)',
    inputs: [f32([5, 7])],
    apply: (ops, [x]) => [ops.reduceSum(x!), ops.reduceSum(x!, { keepdims: true })],
    tolerance: { ulps: 2 },
  },
  { name: 'reduceSum int64', inputs: [i64([3, 9])], apply: (ops, [x]) => [ops.reduceSum(x!)] },
  {
    name: 'reduceLogSumExp float32',
    inputs: [f32([5, 7], -30, 30)],
    apply: (ops, [x]) => [ops.reduceLogSumExp(x!), ops.reduceLogSumExp(x!, { keepdims: true })],
    tolerance: KERNEL,
  },
  {
    name: 'reduceLogSumExp of huge logits stays finite',
    inputs: [tensor('float32', [2, 2], [1000, -1000, 500, 499])],
    apply: (ops, [x]) => [ops.reduceLogSumExp(x!)],
    tolerance: { ulps: 2 },
  },
  {
    name: 'argmax picks the first maximal index',
    inputs: [ties([12, 5])],
    apply: (ops, [x]) => [ops.argmax(x!), ops.argmax(x!, { keepdims: true })],
  },
  {
    name: 'NaN: min / max propagate it; reduceMax and argmax keep the first element unless beaten',
    inputs: [
      tensor('float32', [3, 3], [1, Number.NaN, 0, Number.NaN, 2, 5, 3, 3, Number.NaN]),
      tensor('float32', [3, 3], [0, 0, Number.NaN, 1, 1, 1, 1, 1, 1]),
    ],
    apply: (ops, [a, b]) => [ops.min(a!, b!), ops.max(a!, b!), ops.reduceMax(a!), ops.argmax(a!)],
  },
  { name: 'top2 values (ties included)', inputs: [ties([12, 5])], apply: (ops, [x]) => [...ops.top2(x!)] },
  { name: 'top2 values float32', inputs: [f32([6, 4])], apply: (ops, [x]) => [...ops.top2(x!)] },
  {
    name: 'concat / stack / unsqueezeLast',
    inputs: [f32([3, 2]), f32([3, 4]), f32([3])],
    apply: (ops, [a, b, c]) => [ops.concat([a!, b!]), ops.stack([c!, c!, c!]), ops.unsqueezeLast(c!)],
  },
  {
    name: 'zerosLike float32 / int64 / bool',
    inputs: [f32([2, 3]), i64([4]), bool([5])],
    apply: (ops, [a, b, c]) => [ops.zerosLike(a!), ops.zerosLike(b!), ops.zerosLike(c!)],
  },
  {
    name: 'constants of each type',
    inputs: [f32([1])],
    apply: (ops) => [
      ops.constant(0.1, 'float32'),
      ops.constant(0.1, 'float64'),
      ops.constant(-3, 'int64'),
      ops.constant(1, 'bool'),
    ],
  },
  {
    name: 'linear (Gemm, transB) float32',
    inputs: [f32([4, 16], -1, 1), f32([3, 16], -1, 1), f32([3], -1, 1)],
    apply: (ops, [x, w, b]) => [ops.linear(x!, w!, b!)],
    tolerance: { ulps: 16 },
  },
];

describe('NumericOps mirrors onnxruntime (OnnxOps lowering, opset 17)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const numeric = c.apply(new NumericOps(), [...c.inputs]);
    const ort = await runInOrt(c.inputs, (ops, handles) => c.apply(ops, handles));
    expect(ort).toHaveLength(numeric.length);
    numeric.forEach((expected, k) => {
      const actual = ort[k]!;
      expect(actual.dtype).toBe(expected.dtype);
      expect(actual.shape).toEqual(expected.shape);
      const outside = Array.from(expected.data).filter(
        (v, i) => excess(v, actual.data[i]!, expected.dtype, c.tolerance) > 0,
      );
      expect(
        outside,
        `${c.name} output ${k}: numeric ${Array.from(expected.data)} vs onnxruntime ${Array.from(actual.data)}`,
      ).toEqual([]);
    });
  });
});

describe('NumericOps rejects what ONNX rejects', () => {
  const ops = new NumericOps();
  it('refuses mixed operand types (ONNX has no implicit promotion)', () => {
    expect(() => ops.add(tensor('float32', [2], [1, 2]), tensor('float64', [2], [1, 2]))).toThrow(/one type/);
  });
  it('refuses incompatible broadcasts', () => {
    expect(() => ops.add(tensor('float32', [2], [1, 2]), tensor('float32', [3], [1, 2, 3]))).toThrow(
      /broadcast/,
    );
  });
  it('rounds float32 after every op (0.1 + 0.2 in float32 is not the float64 sum rounded twice)', () => {
    const sum = ops.add(ops.constant(0.1, 'float32'), ops.constant(0.2, 'float32'));
    expect(sum.data[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    expect(sum.data[0]).not.toBe(0.1 + 0.2);
  });
});
