import { diagnostic } from '../diagnostics/index.js';
import { Builder, type Value } from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';
import type { CompileContext } from './context.js';
import { dense, mlpClassifier } from './heads/classifiers.js';
import { insertConfidenceClassifiers } from './heads/confidence-classifier.js';
import { HeadWeights } from './heads/head-weights.js';
import { applyLmHead, findLmHead, type LmHead } from './heads/lm-head.js';
import { mambaClassifier } from './heads/mamba.js';
import { exitNorm } from './heads/norm.js';
import { poolTokens } from './heads/pool.js';
import { keyFor } from './name-templates.js';
import type { HeadPlan } from './plan.js';

type WeightHead = Extract<HeadPlan, { kind: 'weights' }>;

/** The hidden size at the cut, read off the first weight that sees it (pooler, MLP block, Mamba or linear). */
function hiddenSizeOf(weights: HeadWeights, head: WeightHead, index: number): number | undefined {
  if (head.pooler) return weights.shape(`${head.pooler}weight`)?.[1];
  if (head.norm) return weights.shape(`${keyFor(head.norm.key, index)}weight`)?.[0];
  if (head.classifier.kind === 'lm_head') return undefined;
  const key = keyFor(head.classifier.key, index);
  switch (head.classifier.kind) {
    case 'linear':
      return weights.shape(`${key}weight`)?.[1];
    case 'mlp':
      return weights.shape(head.classifier.blocks > 0 ? `${key}hidden.0.weight` : `${key}out.weight`)?.[1];
    case 'mamba':
      return weights.shape(`${key}in_proj.weight`)?.[1];
  }
}

/** One exit's head on the layer's cut [B, T, H]: its logits [B, C] and, for pooled heads, the pooled vector. */
function buildHead(
  b: Builder,
  ctx: CompileContext,
  weights: HeadWeights,
  head: WeightHead,
  cut: Value,
  index: number,
  prefix: string,
  lmHead: LmHead | undefined,
): { logits: Value; pooled?: Value } | undefined {
  const hidden = hiddenSizeOf(weights, head, index);
  const classifier = head.classifier;
  if (classifier.kind === 'mamba') {
    const key = keyFor(classifier.key, index);
    const logits = mambaClassifier(b, weights, cut, key, hidden, `${prefix}/mamba`);
    return logits ? { logits } : undefined;
  }
  if (head.pool === 'none') return undefined;
  let pooled = poolTokens(b, ctx, cut, head.pool, prefix);
  if (pooled && head.pooler) {
    // The BERT pooler shared by all exits: tanh(Linear(H → H)).
    const size = { out: hidden, in: hidden };
    const linear = dense(b, weights, pooled, head.pooler, size, 'the pooler', `${prefix}/pooler`);
    pooled = linear && b.op('Tanh', [linear], {}, `${prefix}/pooler_tanh`);
  }
  if (!pooled) return undefined;
  let features: Value | undefined = pooled;
  if (head.norm) {
    const key = keyFor(head.norm.key, index);
    features = exitNorm(b, weights, pooled, head.norm.kind, key, hidden, `${prefix}/${head.norm.kind}`);
  }
  if (!features) return undefined;
  let logits: Value | undefined;
  switch (classifier.kind) {
    case 'lm_head':
      logits = lmHead && applyLmHead(b, features, lmHead, `${prefix}/lm_head`);
      break;
    case 'linear': {
      const key = keyFor(classifier.key, index);
      logits = dense(b, weights, features, key, { in: hidden }, 'the classifier', `${prefix}/classifier`);
      break;
    }
    case 'mlp':
      logits = mlpClassifier(
        b,
        weights,
        features,
        keyFor(classifier.key, index),
        classifier,
        hidden,
        `${prefix}/mlp`,
      );
      break;
  }
  return logits ? { logits, pooled } : undefined;
}

/**
 * Builds each exit's head on the layer's cut value: token pooling, the optional shared BERT pooler and a
 * linear, MLP or Mamba classifier, from safetensors weights; or reuses the per-layer outputs of an
 * all-exits export.
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
    const weights = head.kind === 'weights' ? new HeadWeights(b, ctx, head.weightsFile ?? '') : undefined;
    const nodesBefore = model.graph.nodes.length;
    const ownOutput = model.graph.outputs.find((v) => v.type?.elementType === 1) ?? model.graph.outputs[0];
    const lmHead =
      head.kind === 'weights' && head.classifier.kind === 'lm_head' && ownOutput
        ? findLmHead(model.graph, ownOutput, ctx)
        : undefined;
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
      if (!cut || !weights) continue;
      const built = buildHead(b, ctx, weights, head, cut, index, `offramp/exit${layer}`, lmHead);
      if (!built) continue;
      built.logits.type = { elementType: 1 };
      if (built.pooled) built.pooled.type = { elementType: 1 };
      ctx.exits.push({ layer, ...built });
    }
    // The last layer always exits. Without a declared exit there, the backbone's own output is that exit.
    const lastLayer = layers.length;
    if (
      head.kind === 'weights' &&
      ctx.exits.length > 0 &&
      ctx.plan.exits[ctx.plan.exits.length - 1]! < lastLayer
    ) {
      // A decoder's logits are per position [B, S, V]: its exit decides on the last one.
      const perPosition = ctx.plan.decoder !== undefined;
      const own =
        ownOutput && perPosition
          ? b.op(
              'Gather',
              [ownOutput, b.scalar('offramp/own/last', -1, 'int64')],
              { axis: 1 },
              'offramp/own/last_position',
            )
          : ownOutput;
      if (own) ctx.exits.push({ layer: lastLayer, logits: own });
    }
    insertConfidenceClassifiers(b, ctx);
    const added = model.graph.nodes.length - nodesBefore;
    return { modified: added > 0, statistics: { exits: ctx.exits.length, 'head-nodes': added } };
  },
};
