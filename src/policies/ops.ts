/**
 * The abstract tensor operations every exit policy is written against. Two interpretations exist:
 * `NumericOps` (the TypeScript reference evaluator) and the compiler's graph interpretation, which maps
 * each call 1:1 to an ONNX (opset 17) operator. Semantics are ONNX's: numpy broadcasting, float32
 * arithmetic in float32, ArgMax picking the first maximal index.
 */
export type DType = 'float32' | 'float64' | 'int64' | 'bool';

export interface PolicyOps<T> {
  /** A scalar constant. */
  constant(value: number, dtype: DType): T;
  /** A run-time parameter (a threshold): a graph input with a default in the compiled model. */
  parameter(name: string): T;
  /** A float32 tensor from the exit's weights (e.g. `gate.weight`), resolved relative to the policy's key. */
  weight(key: string): T;
  /** Zeros with the shape and type of `x`. */
  zerosLike(x: T): T;

  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  neg(x: T): T;
  abs(x: T): T;
  less(a: T, b: T): T;
  lessOrEqual(a: T, b: T): T;
  greater(a: T, b: T): T;
  greaterOrEqual(a: T, b: T): T;
  equal(a: T, b: T): T;
  and(a: T, b: T): T;
  or(a: T, b: T): T;
  not(x: T): T;
  where(condition: T, whenTrue: T, whenFalse: T): T;
  cast(x: T, to: DType): T;
  sigmoid(x: T): T;
  tanh(x: T): T;

  /** Reductions and normalisations over the last axis; reductions drop that axis. */
  softmax(x: T): T;
  logSoftmax(x: T): T;
  reduceMax(x: T): T;
  reduceSum(x: T): T;
  reduceLogSumExp(x: T): T;
  argmax(x: T): T;
  /** The two largest values along the last axis, each with that axis dropped. */
  top2(x: T): readonly [T, T];
  /** Concatenates along the last axis. */
  concat(parts: readonly T[]): T;
  /** Stacks same-shape tensors along a new last axis. */
  stack(parts: readonly T[]): T;
  /** Adds a trailing axis of size 1 (to broadcast a per-sample value over classes). */
  unsqueezeLast(x: T): T;
  /** `x · Wᵀ + b` with a PyTorch Linear weight `[out, in]` (ONNX Gemm, transB = 1). */
  linear(x: T, weight: T, bias: T): T;
}
