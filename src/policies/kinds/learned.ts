import type { PolicyOps } from '../ops.js';
import { defineSpec, type ExitContext, type HeadOutputs } from '../spec.js';
import { atLeastThreshold } from './thresholds.js';

/**
 * CALM's learned confidence (Schuster et al. 2022; t5x `calm` meta classifier): a Linear(H → 2) on the exit's
 * hidden state, confidence = softmax(·)[1], the probability that exiting here gives the full model's answer.
 */
function confidenceOf<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T {
  // The last exit is the backbone's own output: it has no classifier, and the driver makes it exit anyway.
  const last = exit.exitIndex === exit.exitCount - 1;
  // A Mamba block as the classifier (DYNAMAX) is computed beside the head; its two scores arrive here.
  if (head.scores)
    return last ? ops.zerosLike(ops.reduceMax(head.scores)) : ops.column(ops.softmax(head.scores), 1);
  if (!head.pooled) throw new Error('the learned confidence reads the exit’s hidden state');
  if (last) return ops.zerosLike(ops.reduceMax(head.pooled));
  const scores = ops.linear(head.pooled, ops.weight('weight'), ops.weight('bias'));
  return ops.column(ops.softmax(scores), 1);
}

export const learned = defineSpec({
  kind: 'learned',
  summary: 'CALM learned confidence: exit when a per-exit classifier’s p(exit is consistent) reaches τ.',
  source: 'Schuster et al. 2022 (arXiv 2207.07061), t5x/contrib/calm models.py (meta classifier)',
  parameters: [
    {
      name: 'threshold',
      dtype: 'float32',
      default: 0.9,
      minimum: 0,
      maximum: 1,
      description: 'Exit when the classifier’s confidence ≥ this value.',
    },
  ],
  // Relative to the user's key template, which holds `{i}` (e.g. `conf.{i}.`).
  weights: [
    { key: 'weight', shape: ({ hidden }) => [2, hidden], scope: 'per-exit', exceptLast: true },
    { key: 'bias', shape: () => [2], scope: 'per-exit', exceptLast: true },
  ],
  headOutputs: ['pooled'],
  needsUniform: false,
  confidence: 'the classifier’s p(consistent) at this exit',
  signalType: 'float32',
  signal: confidenceOf,
  step: atLeastThreshold,
});
