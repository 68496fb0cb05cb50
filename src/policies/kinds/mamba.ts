import type { PolicyOps } from '../ops.js';
import { defineSpec, type ExitContext, type HeadOutputs } from '../spec.js';
import { maxSoftmax, softmaxEntropy, softmaxMargin, squeezeLast } from './measures.js';
import { atLeastThreshold } from './thresholds.js';

/**
 * DYNAMAX-style exit (Nogales, Gambella & Roveri 2025, working hypothesis of policies.md §4(a); no public
 * code): an early-exit head (CALM linear, FFN or a Mamba block, built by the head's own spec) outputs either
 * class/vocabulary logits or one exit score; its confidence c is compared with τ, CALM-style, c ≥ τ.
 */
function confidenceOf<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T {
  switch (exit.measure ?? 'maxprob') {
    case 'sigmoid':
      // The head's output is a single score [B, 1].
      return ops.sigmoid(squeezeLast(ops, head.logits));
    case 'margin':
      return softmaxMargin(ops, head.logits);
    case 'entropy': {
      // Certainty: 1 − H(p)/ln C, so that, like the other measures, higher means surer.
      const normalized = ops.div(
        softmaxEntropy(ops, head.logits),
        ops.constant(Math.log(exit.classes), 'float32'),
      );
      return ops.sub(ops.constant(1, 'float32'), normalized);
    }
    default:
      return maxSoftmax(ops, head.logits);
  }
}

export const mamba = defineSpec({
  kind: 'mamba',
  summary:
    'DYNAMAX-style: exit when the early-exit head’s confidence (max softmax or sigmoid score) reaches τ.',
  source: 'Nogales et al. 2025 (arXiv 2504.20922), unverified details; decision as CALM (c ≥ τ)',
  parameters: [
    {
      name: 'threshold',
      dtype: 'float32',
      default: 0.9,
      minimum: 0,
      maximum: 1,
      description: 'Exit when the confidence ≥ this value.',
    },
  ],
  options: [
    {
      name: 'measure',
      default: 'maxprob',
      values: ['maxprob', 'margin', 'entropy', 'sigmoid'],
      description:
        'maxprob: max softmax of the head’s logits; margin: top-2 softmax margin; entropy: 1 − H/ln C; sigmoid: σ of a single exit score.',
    },
  ],
  weights: [],
  headOutputs: ['logits'],
  needsUniform: false,
  confidence: 'the head’s confidence c',
  signalType: 'float32',
  signal: confidenceOf,
  step: atLeastThreshold,
});
