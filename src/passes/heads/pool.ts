import { diagnostic } from '../../diagnostics/index.js';
import type { Builder, Value } from '../../ir/index.js';
import type { CompileContext } from '../context.js';

/**
 * One vector per sample from a layer's hidden states [B, T, H]: token 0 (`cls`), the last token, or the
 * attention-masked mean. Undefined (with OR3006) when mean pooling has no mask input to read.
 */
export function poolTokens(
  b: Builder,
  ctx: CompileContext,
  cut: Value,
  mode: 'cls' | 'mean' | 'last',
  prefix: string,
): Value | undefined {
  if (mode !== 'mean') {
    const at = b.scalar(`${prefix}/token`, mode === 'last' ? -1 : 0, 'int64');
    return b.op('Gather', [cut, at], { axis: 1 }, `${prefix}/pool`);
  }
  const maskName = ctx.plan.attentionMask ?? 'attention_mask';
  const maskInput = b.graph.inputs.find((v) => v.name === maskName);
  if (!maskInput) {
    ctx.diagnostics.push(diagnostic('OR3006', { name: maskName }, { graph: { file: ctx.plan.backbone } }));
    return undefined;
  }
  const mask = b.op('Unsqueeze', [
    b.op('Cast', [maskInput], { to: 1 }),
    b.constant(`${prefix}/axes`, BigInt64Array.of(-1n), [1]),
  ]);
  const axis = b.constant(`${prefix}/seq_axis`, BigInt64Array.of(1n), [1]);
  const summed = b.op('ReduceSum', [b.op('Mul', [cut, mask]), axis], { keepdims: 0 });
  return b.op('Div', [summed, b.op('ReduceSum', [mask, axis], { keepdims: 0 })], {}, `${prefix}/mean`);
}
