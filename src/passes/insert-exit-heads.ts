import { diagnostic } from '../diagnostics/index.js';
import { Builder, type Value } from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';
import type { CompileContext } from './context.js';

/** Resolves `{i}` (0-based module index) in a key template. */
export const keyFor = (template: string, moduleIndex: number) =>
  template.replaceAll('{i}', String(moduleIndex));

/** An initializer for a safetensors tensor, checked against the shape the head needs. */
function weightValue(
  b: Builder,
  ctx: CompileContext,
  file: string,
  key: string,
  expected: readonly (number | undefined)[],
  role: string,
  cache: Map<string, Value>,
): Value | undefined {
  const cached = cache.get(`${file}\u0000${key}`);
  if (cached) return cached;
  const tensor = ctx.weights.get(file, key);
  if (!tensor) {
    ctx.diagnostics.push(diagnostic('OR3003', { file, key }, { graph: { file } }));
    return undefined;
  }
  const fits =
    tensor.shape.length === expected.length &&
    expected.every((d, k) => d === undefined || d === tensor.shape[k]);
  if (!fits) {
    ctx.diagnostics.push(
      diagnostic(
        'OR3004',
        { key, actual: tensor.shape.join(', '), expected: expected.map((d) => d ?? '?').join(', '), role },
        { graph: { file } },
      ),
    );
    return undefined;
  }
  const value = b.constant(`offramp/${key}`, tensor.data, tensor.shape);
  cache.set(`${file}\u0000${key}`, value);
  return value;
}

/** The hidden size at the cut, from the first layer's LayerNormalization scale or the pooler weight. */
function hiddenSizeOf(
  ctx: CompileContext,
  file: string,
  poolerKey: string | undefined,
  classifierKey: string,
): number | undefined {
  const probe = poolerKey
    ? ctx.weights.get(file, `${poolerKey}weight`)
    : ctx.weights.get(file, `${classifierKey}weight`);
  return probe?.shape[1];
}

/**
 * Builds each exit's head on the layer's cut value: token pooling, the optional shared BERT pooler and the
 * linear classifier, from safetensors weights; or reuses the per-layer outputs of an all-exits export.
 */
export const insertExitHeads: CompilerPass = {
  name: 'insert-exit-heads',
  summary: 'Compute each exit head from its layer’s hidden state.',
  requires: ['layers-known'],
  ensures: ['exit-heads'],
  run(model, ctx) {
    const layers = ctx.layers ?? [];
    const b = new Builder(model, model.graph);
    const head = ctx.plan.head;
    const cache = new Map<string, Value>();
    let nodesBefore = model.graph.nodes.length;
    for (const layer of ctx.plan.exits) {
      const index = layer - 1;
      if (head.kind === 'outputs') {
        const name = keyFor(head.outputTemplate, index);
        const output = model.graph.outputs.find((v) => v.name === name);
        if (!output) {
          ctx.diagnostics.push(
            diagnostic('OR3006', { name }, { graph: { file: ctx.plan.backbone, tensor: name } }),
          );
          continue;
        }
        ctx.exits.push({ layer, logits: output });
        continue;
      }
      const cut = layers[index]?.output;
      if (!cut) continue;
      const prefix = `offramp/exit${layer}`;
      const at = b.scalar(`${prefix}/token`, head.pool === 'last' ? -1 : 0, 'int64');
      let pooled: Value;
      if (head.pool === 'mean') {
        const maskInput = model.graph.inputs.find(
          (v) => v.name === (ctx.plan.attentionMask ?? 'attention_mask'),
        );
        if (!maskInput) {
          ctx.diagnostics.push(
            diagnostic(
              'OR3006',
              { name: ctx.plan.attentionMask ?? 'attention_mask' },
              { graph: { file: ctx.plan.backbone } },
            ),
          );
          continue;
        }
        const mask = b.op('Unsqueeze', [
          b.op('Cast', [maskInput], { to: 1 }),
          b.constant(`${prefix}/axes`, BigInt64Array.of(-1n), [1]),
        ]);
        const axis = b.constant(`${prefix}/seq_axis`, BigInt64Array.of(1n), [1]);
        const summed = b.op('ReduceSum', [b.op('Mul', [cut, mask]), axis], { keepdims: 0 });
        pooled = b.op(
          'Div',
          [summed, b.op('ReduceSum', [mask, axis], { keepdims: 0 })],
          {},
          `${prefix}/mean`,
        );
      } else {
        pooled = b.op('Gather', [cut, at], { axis: 1 }, `${prefix}/pool`);
      }
      const hidden = hiddenSizeOf(ctx, head.weightsFile, head.pooler, keyFor(head.classifier, index));
      if (head.pooler) {
        const w = weightValue(
          b,
          ctx,
          head.weightsFile,
          `${head.pooler}weight`,
          [hidden, hidden],
          'the pooler',
          cache,
        );
        const bias = weightValue(
          b,
          ctx,
          head.weightsFile,
          `${head.pooler}bias`,
          [hidden],
          'the pooler',
          cache,
        );
        if (!w || !bias) continue;
        pooled = b.op(
          'Tanh',
          [b.op('Gemm', [pooled, w, bias], { transB: 1 }, `${prefix}/pooler`)],
          {},
          `${prefix}/pooler_tanh`,
        );
      }
      const key = keyFor(head.classifier, index);
      const w = weightValue(
        b,
        ctx,
        head.weightsFile,
        `${key}weight`,
        [undefined, hidden],
        'the classifier',
        cache,
      );
      const bias = w
        ? weightValue(
            b,
            ctx,
            head.weightsFile,
            `${key}bias`,
            [w.type?.shape?.[0] as number],
            'the classifier',
            cache,
          )
        : undefined;
      if (!w || !bias) continue;
      const logits = b.op('Gemm', [pooled, w, bias], { transB: 1 }, `${prefix}/classifier`);
      logits.type = { elementType: 1 };
      pooled.type = { elementType: 1 };
      ctx.exits.push({ layer, logits, pooled });
    }
    // The last layer always exits. Without a declared exit there, the backbone's own output is that exit.
    const lastLayer = layers.length;
    if (
      head.kind === 'weights' &&
      ctx.exits.length > 0 &&
      ctx.plan.exits[ctx.plan.exits.length - 1]! < lastLayer
    ) {
      const own = model.graph.outputs.find((v) => v.type?.elementType === 1) ?? model.graph.outputs[0];
      if (own) ctx.exits.push({ layer: lastLayer, logits: own });
    }
    const added = model.graph.nodes.length - nodesBefore;
    nodesBefore = 0;
    return { modified: added > 0, statistics: { exits: ctx.exits.length, 'head-nodes': added } };
  },
};
