import { diagnostic } from '../../diagnostics/index.js';
import type { Builder, Graph, Value } from '../../ir/index.js';
import type { CompileContext } from '../context.js';

/** The backbone's own output projection, as the exits reuse it. */
export interface LmHead {
  /** [H, V] for MatMul, or the tied embedding [V, H] that the export transposes. */
  readonly weight: Value;
  readonly transposed: boolean;
  readonly bias?: Value;
}

const initializer = (graph: Graph, v: Value | undefined) =>
  v !== undefined && v.producer === undefined && graph.initializers.has(v.name);

/**
 * Finds the LM head that produces the backbone's logits output: `MatMul(x, W)` with W an initializer
 * (TorchScript folds a tied head into a transposed copy), optionally `+ b`, or `MatMul(x, Transpose(E))`
 * over the embedding itself (exports without constant folding). OR3006 names the output otherwise.
 */
export function findLmHead(graph: Graph, logits: Value, ctx: CompileContext): LmHead | undefined {
  let node = logits.producer;
  let bias: Value | undefined;
  if (node?.op === 'Add') {
    const [a, c] = node.inputs;
    bias = initializer(graph, c) ? c : initializer(graph, a) ? a : undefined;
    node = (bias === c ? a : c)?.producer;
  }
  if (node?.op === 'MatMul') {
    const w = node.inputs[1];
    if (initializer(graph, w)) return { weight: w!, transposed: false, ...(bias ? { bias } : {}) };
    const t = w?.producer;
    const perm = t?.attributes.get('perm');
    const swaps = !perm || (perm.kind === 'ints' && perm.value.map(Number).join() === '1,0');
    if (t?.op === 'Transpose' && swaps && initializer(graph, t.inputs[0]))
      return { weight: t.inputs[0]!, transposed: true, ...(bias ? { bias } : {}) };
  }
  ctx.diagnostics.push(
    diagnostic(
      'OR5002',
      { what: `an lm_head exit: '${logits.name}' is not a MatMul by a weight (optionally + bias)` },
      { graph: { file: ctx.plan.backbone, tensor: logits.name } },
    ),
  );
  return undefined;
}

/** `x [B, H] → logits [B, V]` through the backbone's LM head. */
export function applyLmHead(b: Builder, x: Value, head: LmHead, name: string): Value {
  const projected = head.transposed
    ? b.op('Gemm', [x, head.weight], { transB: 1 }, name)
    : b.op('MatMul', [x, head.weight], {}, name);
  return head.bias ? b.op('Add', [projected, head.bias], {}, `${name}/bias`) : projected;
}
