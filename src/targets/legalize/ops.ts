import type { Builder, Model, Value } from '../../ir/index.js';

/** A Reduce* node over `axes`, with axes as an attribute before opset 18 and as an input from 18 on. */
export function reduce(b: Builder, op: string, x: Value, axes: readonly number[], keepdims: boolean): Value {
  const opset = b.model.opset('') ?? 17;
  const axesAsInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
  const keep = keepdims ? 1 : 0;
  if (axesAsInput) {
    const axesValue = b.constant(
      'axes',
      BigInt64Array.from(axes, (a) => BigInt(a)),
      [axes.length],
    );
    return b.op(op, [x, axesValue], { keepdims: keep });
  }
  return b.op(op, [x], { axes: [...axes], keepdims: keep });
}

export function modelOpset(model: Model): number {
  return model.opset('') ?? 17;
}
