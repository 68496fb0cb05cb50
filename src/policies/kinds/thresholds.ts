import type { PolicyOps } from '../ops.js';
import { defineSpec, type ExitContext, type PolicyState, type StepResult } from '../spec.js';
import { logitEntropy, maxSoftmax, softmaxMargin } from './measures.js';

/** Stateless "measure, then compare with a threshold" rules on a head's logits. */

/** Exit when the measured confidence reaches the `threshold` parameter (CALM's comparison, ≥). */
export const atLeastThreshold = <T>(
  ops: PolicyOps<T>,
  state: PolicyState<T>,
  measured: T,
): StepResult<T> => ({
  state,
  exit: ops.greaterOrEqual(measured, ops.parameter('threshold')),
  confidence: measured,
});

/** Max-softmax (CALM's default, Shallow-Deep Networks): exit when max p ≥ τ. */
export const maxprob = defineSpec({
  kind: 'maxprob',
  summary: 'Exit when the largest softmax probability reaches the threshold.',
  source: 'CALM (t5x calm/models.py softmax_max): continue while conf < τ',
  parameters: [
    {
      name: 'threshold',
      dtype: 'float32',
      default: 0.9,
      minimum: 0,
      maximum: 1,
      description: 'Exit when max softmax ≥ this value.',
    },
  ],
  weights: [],
  headOutputs: ['logits'],
  needsUniform: false,
  confidence: 'max softmax probability',
  signalType: 'float32',
  signal: (ops, head) => maxSoftmax(ops, head.logits),
  step: atLeastThreshold,
});

/** Top-2 softmax margin (CALM `softmax_diff`): exit when p(1) − p(2) ≥ τ. */
export const margin = defineSpec({
  kind: 'margin',
  summary: 'Exit when the gap between the two largest softmax probabilities reaches the threshold.',
  source: 'CALM (t5x calm/models.py softmax_diff)',
  parameters: [
    {
      name: 'threshold',
      dtype: 'float32',
      default: 0.5,
      minimum: 0,
      maximum: 1,
      description: 'Exit when p(1) − p(2) ≥ this value.',
    },
  ],
  weights: [],
  headOutputs: ['logits'],
  needsUniform: false,
  confidence: 'top-2 softmax margin',
  signalType: 'float32',
  signal: (ops, head) => softmaxMargin(ops, head.logits),
  step: atLeastThreshold,
});

/**
 * Entropy: DeeBERT (raw entropy, per-layer thresholds S_i) or FastBERT (entropy / ln C); exit when the
 * measure is strictly below the threshold. A single threshold applies to every exit.
 */
export const entropy = defineSpec({
  kind: 'entropy',
  summary: 'Exit when the softmax entropy (optionally divided by ln C) falls below the threshold.',
  source:
    'DeeBERT (HF deebert modeling_highway_bert.py), FastBERT (utils.py calc_uncertainty): exit at H < S',
  parameters: [
    {
      name: 'threshold',
      dtype: 'float32',
      default: 0.3,
      minimum: 0,
      perExit: true,
      description:
        'Exit when the entropy is strictly below this value; one value, or one per exit (DeeBERT).',
    },
  ],
  options: [
    {
      name: 'normalizedEntropy',
      default: false,
      description: 'Divide the entropy by ln C (FastBERT), making it 0..1.',
    },
  ],
  weights: [],
  headOutputs: ['logits'],
  needsUniform: false,
  confidence: 'softmax entropy (divided by ln C when normalised)',
  signalType: 'float32',
  signal<T>(ops: PolicyOps<T>, head: { readonly logits: T }, exit: ExitContext): T {
    const h = logitEntropy(ops, head.logits);
    return exit.normalizedEntropy ? ops.div(h, ops.constant(Math.log(exit.classes), 'float32')) : h;
  },
  step: <T>(ops: PolicyOps<T>, state: PolicyState<T>, measured: T, exit: ExitContext): StepResult<T> => ({
    state,
    exit: ops.less(measured, ops.parameter('threshold', exit.exitIndex)),
    confidence: measured,
  }),
});
