/**
 * The abstract tensor operations every exit policy is written against, once. Two interpretations exist:
 * `NumericOps` (the TypeScript reference evaluator and the simulator) and a graph interpretation, which maps
 * each call 1:1 to ONNX (opset 17) operators; `OnnxOps` in `onnx-lowering.ts` is that mapping.
 *
 * Semantics are ONNX's, exactly: numpy broadcasting; binary operands share one element type (no implicit
 * promotion: cast first); arithmetic in the operands' type (float32 rounds after every op, int64 division
 * truncates); comparisons return bool; ArgMax picks the first maximal index. "Last axis" ops work on
 * axis -1 and drop it unless `keepdims` is set.
 *
 * NaN (a diverged head): Min/Max and the softmax family propagate it; ReduceMax and ArgMax keep a row's
 * first element unless a later one is strictly greater. TopK's order and float→int64 casts of NaN or ±∞
 * are left unspecified by runtimes, so no policy may depend on them.
 */
export type DType = 'float32' | 'float64' | 'int64' | 'bool';

export interface ReduceOptions {
  /** Keep the reduced axis with size 1 (ONNX `keepdims = 1`). Default: drop it. */
  readonly keepdims?: boolean;
}

export interface PolicyOps<T> {
  // Sources.
  /** A scalar constant of the given type. */
  constant(value: number, dtype: DType): T;
  /**
   * A run-time parameter (a threshold): a scalar graph input whose default lives in the manifest.
   * Parameters declared `perExit` are one value per exit; `exitIndex` (0-based) selects this exit's.
   */
  parameter(name: string, exitIndex?: number): T;
  /** A float32 tensor from the policy's weights (e.g. `gate.{i}.weight`), `{i}` resolved by the caller. */
  weight(key: string): T;
  /** float32 [B]: this exit's column of the caller-supplied uniform numbers [B, exits] (PonderNet). */
  uniform(exitIndex: number): T;
  /** Zeros with the shape and type of `x` (ONNX: Expand(0, Shape(x))). */
  zerosLike(x: T): T;

  // Elementwise, broadcasting; binary operands must have the same type.
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  min(a: T, b: T): T;
  max(a: T, b: T): T;
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
  /** `condition` is bool; the branches share a type, which is the result's. */
  where(condition: T, whenTrue: T, whenFalse: T): T;
  cast(x: T, to: DType): T;
  sigmoid(x: T): T;
  tanh(x: T): T;
  exp(x: T): T;
  log(x: T): T;

  // Along the last axis.
  softmax(x: T): T;
  logSoftmax(x: T): T;
  reduceMax(x: T, options?: ReduceOptions): T;
  reduceSum(x: T, options?: ReduceOptions): T;
  /** log Σ exp(x), computed max-shifted (ONNX runtimes do; it never overflows for large logits). */
  reduceLogSumExp(x: T, options?: ReduceOptions): T;
  /** int64 index of the first maximal element. */
  argmax(x: T, options?: ReduceOptions): T;
  /** The two largest values (ONNX TopK, k = 2, largest, sorted), each with the last axis dropped. */
  top2(x: T): readonly [T, T];
  /** Concatenates along the last axis. */
  concat(parts: readonly T[]): T;
  /** `x[..., index]`: one entry of the last axis, the axis dropped (ONNX Gather with a scalar index). */
  column(x: T, index: number): T;
  /** Stacks same-shape tensors along a new last axis. */
  stack(parts: readonly T[]): T;
  /** Adds a trailing axis of size 1 (to broadcast a per-sample value over classes). */
  unsqueezeLast(x: T): T;
  /** `x · Wᵀ + b` with a PyTorch Linear weight `[out, in]` and bias `[out]` (ONNX Gemm, transB = 1). */
  linear(x: T, weight: T, bias: T): T;
}
