import { Builder, ElementType, type Value } from '../ir/index.js';
import type { DType, PolicyOps } from '../policies/index.js';

interface ReduceOptions {
  readonly keepdims?: boolean;
}

const CODE: Readonly<Record<DType, number>> = {
  float32: ElementType.float32,
  float64: ElementType.float64,
  int64: ElementType.int64,
  bool: ElementType.bool,
};
const DTYPE_OF = new Map<number, DType>(Object.entries(CODE).map(([k, v]) => [v, k as DType]));

export interface GraphOpsContext {
  /** Graph input carrying a policy parameter (created once per model by the caller). */
  readonly parameter: (name: string) => Value;
  /** Initializer for a policy weight key, `{i}` already resolved. */
  readonly weight: (key: string) => Value;
  /** float32 [B]: this exit's column of the caller's uniform numbers (PonderNet). */
  readonly uniform?: (exitIndex: number) => Value;
}

/**
 * The graph interpretation of the policy op set: every call emits ONNX (opset 17) nodes through `builder`
 * and returns the value it computes, annotated with its element type.
 */
export class GraphOps implements PolicyOps<Value> {
  constructor(
    private readonly builder: Builder,
    private readonly context: GraphOpsContext,
    private readonly prefix: string,
  ) {}

  private typed(value: Value, dtype: DType | number | undefined): Value {
    const code = typeof dtype === 'string' ? CODE[dtype] : dtype;
    if (code !== undefined) value.type = { elementType: code, ...(value.type?.shape ? { shape: value.type.shape } : {}) };
    return value;
  }

  private dtype(x: Value): DType {
    const d = DTYPE_OF.get(x.type?.elementType ?? ElementType.float32);
    return d ?? 'float32';
  }

  private emit(op: string, inputs: Value[], attributes: Record<string, number | number[] | bigint> = {}, out?: DType): Value {
    const v = this.builder.op(op, inputs, attributes, `${this.prefix}/${op}`);
    return this.typed(v, out ?? this.dtype(inputs[0]!));
  }

  private axes(values: number[]): Value {
    return this.builder.constant(`${this.prefix}/axes`, BigInt64Array.from(values.map(BigInt)), [values.length]);
  }

  constant(value: number, dtype: DType): Value {
    return this.typed(this.builder.scalar(`${this.prefix}/const`, value, dtype), dtype);
  }
  parameter(name: string): Value {
    return this.context.parameter(name);
  }
  uniform(exitIndex: number): Value {
    if (!this.context.uniform) throw new Error('this policy reads uniform numbers, but the compiler supplied none');
    return this.typed(this.context.uniform(exitIndex), 'float32');
  }
  min(a: Value, b: Value) {
    return this.emit('Min', [a, b]);
  }
  max(a: Value, b: Value) {
    return this.emit('Max', [a, b]);
  }
  exp(x: Value) {
    return this.emit('Exp', [x]);
  }
  log(x: Value) {
    return this.emit('Log', [x]);
  }
  weight(key: string): Value {
    return this.typed(this.context.weight(key), 'float32');
  }
  zerosLike(x: Value): Value {
    const dtype = this.dtype(x);
    const shape = this.builder.op('Shape', [x], {}, `${this.prefix}/Shape`);
    const zero = { name: '', dims: [1], dataType: CODE[dtype], rawData: new Uint8Array(dtype === 'float32' ? 4 : dtype === 'bool' ? 1 : 8) };
    const v = this.builder.add({ op: 'ConstantOfShape', inputs: [shape], attributes: { value: { kind: 'tensor', value: zero } }, name: `${this.prefix}/ConstantOfShape` })[0]!;
    return this.typed(v, dtype);
  }
  add(a: Value, b: Value) {
    return this.emit('Add', [a, b]);
  }
  sub(a: Value, b: Value) {
    return this.emit('Sub', [a, b]);
  }
  mul(a: Value, b: Value) {
    return this.emit('Mul', [a, b]);
  }
  div(a: Value, b: Value) {
    return this.emit('Div', [a, b]);
  }
  neg(x: Value) {
    return this.emit('Neg', [x]);
  }
  abs(x: Value) {
    return this.emit('Abs', [x]);
  }
  less(a: Value, b: Value) {
    return this.emit('Less', [a, b], {}, 'bool');
  }
  lessOrEqual(a: Value, b: Value) {
    return this.emit('LessOrEqual', [a, b], {}, 'bool');
  }
  greater(a: Value, b: Value) {
    return this.emit('Greater', [a, b], {}, 'bool');
  }
  greaterOrEqual(a: Value, b: Value) {
    return this.emit('GreaterOrEqual', [a, b], {}, 'bool');
  }
  equal(a: Value, b: Value) {
    return this.emit('Equal', [a, b], {}, 'bool');
  }
  and(a: Value, b: Value) {
    return this.emit('And', [a, b], {}, 'bool');
  }
  or(a: Value, b: Value) {
    return this.emit('Or', [a, b], {}, 'bool');
  }
  not(x: Value) {
    return this.emit('Not', [x], {}, 'bool');
  }
  where(c: Value, a: Value, b: Value) {
    return this.emit('Where', [c, a, b], {}, this.dtype(a));
  }
  cast(x: Value, to: DType) {
    return this.emit('Cast', [x], { to: CODE[to] }, to);
  }
  sigmoid(x: Value) {
    return this.emit('Sigmoid', [x]);
  }
  tanh(x: Value) {
    return this.emit('Tanh', [x]);
  }
  softmax(x: Value) {
    return this.emit('Softmax', [x], { axis: -1 });
  }
  logSoftmax(x: Value) {
    return this.emit('LogSoftmax', [x], { axis: -1 });
  }
  reduceMax(x: Value, options?: ReduceOptions) {
    return this.emit('ReduceMax', [x], { axes: [-1], keepdims: options?.keepdims ? 1 : 0 });
  }
  reduceSum(x: Value, options?: ReduceOptions) {
    // ReduceSum takes its axes as an input since opset 13.
    return this.emit('ReduceSum', [x, this.axes([-1])], { keepdims: options?.keepdims ? 1 : 0 });
  }
  reduceLogSumExp(x: Value, options?: ReduceOptions) {
    return this.emit('ReduceLogSumExp', [x], { axes: [-1], keepdims: options?.keepdims ? 1 : 0 });
  }
  argmax(x: Value, options?: ReduceOptions) {
    return this.emit('ArgMax', [x], { axis: -1, keepdims: options?.keepdims ? 1 : 0, select_last_index: 0 }, 'int64');
  }
  top2(x: Value): readonly [Value, Value] {
    const k = this.builder.constant(`${this.prefix}/k`, BigInt64Array.of(2n), [1]);
    const [values] = this.builder.add({ op: 'TopK', inputs: [x, k], attributes: { axis: -1 }, outputs: 2, name: `${this.prefix}/TopK` });
    this.typed(values!, this.dtype(x));
    const pick = (i: number) =>
      this.emit('Gather', [values!, this.builder.scalar(`${this.prefix}/index`, i, 'int64')], { axis: -1 }, this.dtype(x));
    return [pick(0), pick(1)];
  }
  concat(parts: readonly Value[]) {
    return this.emit('Concat', [...parts], { axis: -1 });
  }
  stack(parts: readonly Value[]) {
    return this.concat(parts.map((p) => this.unsqueezeLast(p)));
  }
  unsqueezeLast(x: Value) {
    return this.emit('Unsqueeze', [x, this.axes([-1])]);
  }
  linear(x: Value, weight: Value, bias: Value) {
    return this.emit('Gemm', [x, weight, bias], { transB: 1 });
  }
}
