import type { DType, PolicyOps, ReduceOptions } from './ops.js';

/** ONNX TensorProto element type codes of the policy dtypes. */
export const ONNX_ELEMENT_TYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  float64: 11,
  int64: 7,
  bool: 9,
};

/** Integer attributes are all the policy op set needs. */
export type IntAttributes = Readonly<Record<string, number | readonly number[]>>;

/**
 * What a graph builder provides so that `OnnxOps` can lower the policy op set onto it. `V` is the
 * builder's value handle. Every method returns a value whose element type the builder records, so
 * `dtypeOf` can answer for values `OnnxOps` produced.
 */
export interface OnnxEmitter<V> {
  /** Emits one default-domain node and returns its outputs, typed `outputTypes`. */
  node(opType: string, inputs: readonly V[], attributes: IntAttributes, outputTypes: readonly DType[]): V[];
  /** An initializer (or Constant) holding `values` with `shape`. */
  constant(values: readonly number[], shape: readonly number[], dtype: DType): V;
  /** The scalar parameter value: a graph input, for `perExit` parameters this exit's element of it. */
  parameter(name: string, exitIndex?: number): V;
  weight(key: string): V;
  /** float32 [B]: column `exitIndex` of the uniforms input [B, exits]. */
  uniform(exitIndex: number): V;
  dtypeOf(value: V): DType;
}

/**
 * The graph interpretation's op-by-op lowering to ONNX opset 17: one place that states which ONNX
 * operator (and attributes) each policy op becomes. Conformance tests run these exact nodes in
 * onnxruntime against `NumericOps`.
 */
export class OnnxOps<V> implements PolicyOps<V> {
  constructor(private readonly emit: OnnxEmitter<V>) {}

  private one(op: string, inputs: readonly V[], attributes: IntAttributes = {}, out?: DType): V {
    return this.emit.node(op, inputs, attributes, [out ?? this.emit.dtypeOf(inputs[0]!)])[0]!;
  }
  private axesInput(axes: readonly number[]): V {
    return this.emit.constant(axes, [axes.length], 'int64');
  }
  private keepdims(options?: ReduceOptions): number {
    return options?.keepdims ? 1 : 0;
  }

  constant(value: number, dtype: DType): V {
    return this.emit.constant([value], [], dtype);
  }
  parameter(name: string, exitIndex?: number): V {
    return this.emit.parameter(name, exitIndex);
  }
  weight(key: string): V {
    return this.emit.weight(key);
  }
  uniform(exitIndex: number): V {
    return this.emit.uniform(exitIndex);
  }
  zerosLike(x: V): V {
    // Expand(0, Shape(x)), not ConstantOfShape: WebGPU has no ConstantOfShape kernel, while Expand runs on
    // the device and the Shape feeding it is a host shape node there.
    const dtype = this.emit.dtypeOf(x);
    return this.one(
      'Expand',
      [this.emit.constant([0], [], dtype), this.one('Shape', [x], {}, 'int64')],
      {},
      dtype,
    );
  }

  add(a: V, b: V) {
    return this.one('Add', [a, b]);
  }
  sub(a: V, b: V) {
    return this.one('Sub', [a, b]);
  }
  mul(a: V, b: V) {
    return this.one('Mul', [a, b]);
  }
  div(a: V, b: V) {
    return this.one('Div', [a, b]);
  }
  min(a: V, b: V) {
    return this.one('Min', [a, b]);
  }
  max(a: V, b: V) {
    return this.one('Max', [a, b]);
  }
  neg(x: V) {
    return this.one('Neg', [x]);
  }
  abs(x: V) {
    return this.one('Abs', [x]);
  }
  less(a: V, b: V) {
    return this.one('Less', [a, b], {}, 'bool');
  }
  lessOrEqual(a: V, b: V) {
    return this.one('LessOrEqual', [a, b], {}, 'bool');
  }
  greater(a: V, b: V) {
    return this.one('Greater', [a, b], {}, 'bool');
  }
  greaterOrEqual(a: V, b: V) {
    return this.one('GreaterOrEqual', [a, b], {}, 'bool');
  }
  equal(a: V, b: V) {
    return this.one('Equal', [a, b], {}, 'bool');
  }
  and(a: V, b: V) {
    return this.one('And', [a, b], {}, 'bool');
  }
  or(a: V, b: V) {
    return this.one('Or', [a, b], {}, 'bool');
  }
  not(x: V) {
    return this.one('Not', [x], {}, 'bool');
  }
  where(condition: V, whenTrue: V, whenFalse: V) {
    return this.one('Where', [condition, whenTrue, whenFalse], {}, this.emit.dtypeOf(whenTrue));
  }
  cast(x: V, to: DType) {
    return this.one('Cast', [x], { to: ONNX_ELEMENT_TYPE[to] }, to);
  }
  sigmoid(x: V) {
    return this.one('Sigmoid', [x]);
  }
  tanh(x: V) {
    return this.one('Tanh', [x]);
  }
  exp(x: V) {
    return this.one('Exp', [x]);
  }
  log(x: V) {
    return this.one('Log', [x]);
  }

  softmax(x: V) {
    return this.one('Softmax', [x], { axis: -1 });
  }
  logSoftmax(x: V) {
    return this.one('LogSoftmax', [x], { axis: -1 });
  }
  reduceMax(x: V, options?: ReduceOptions) {
    // Opset 17: ReduceMax and ReduceLogSumExp take `axes` as an attribute; ReduceSum as an input (since 13).
    return this.one('ReduceMax', [x], { axes: [-1], keepdims: this.keepdims(options) });
  }
  reduceSum(x: V, options?: ReduceOptions) {
    return this.one('ReduceSum', [x, this.axesInput([-1])], { keepdims: this.keepdims(options) });
  }
  reduceLogSumExp(x: V, options?: ReduceOptions) {
    return this.one('ReduceLogSumExp', [x], { axes: [-1], keepdims: this.keepdims(options) });
  }
  argmax(x: V, options?: ReduceOptions) {
    return this.one(
      'ArgMax',
      [x],
      { axis: -1, keepdims: this.keepdims(options), select_last_index: 0 },
      'int64',
    );
  }
  top2(x: V): readonly [V, V] {
    const dtype = this.emit.dtypeOf(x);
    const [values] = this.emit.node('TopK', [x, this.axesInput([2])], { axis: -1, largest: 1, sorted: 1 }, [
      dtype,
      'int64',
    ]);
    // Gather with a scalar index drops the axis.
    const pick = (i: number) =>
      this.one('Gather', [values!, this.emit.constant([i], [], 'int64')], { axis: -1 }, dtype);
    return [pick(0), pick(1)];
  }
  concat(parts: readonly V[]) {
    return this.one('Concat', parts, { axis: -1 });
  }
  stack(parts: readonly V[]) {
    return this.concat(parts.map((p) => this.unsqueezeLast(p)));
  }
  column(x: V, index: number) {
    return this.one(
      'Gather',
      [x, this.emit.constant([index], [], 'int64')],
      { axis: -1 },
      this.emit.dtypeOf(x),
    );
  }
  unsqueezeLast(x: V) {
    return this.one('Unsqueeze', [x, this.axesInput([-1])]);
  }
  linear(x: V, weight: V, bias: V) {
    return this.one('Gemm', [x, weight, bias], { transB: 1 });
  }
}
