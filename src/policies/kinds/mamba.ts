import type { PolicyOps } from '../ops.js';
import {
  defineSpec,
  type ExitContext,
  type HeadOutputs,
  type PolicyState,
  type StepResult,
} from '../spec.js';
import { maxSoftmax, squeezeLast } from './measures.js';

/**
 * DYNAMAX-style exit (Nogales, Gambella & Roveri 2025, working hypothesis of policies.md §4(a); no public
 * code): an early-exit head (CALM linear, FFN or a Mamba block, built by the head's own spec) outputs either
 * class/vocabulary logits or one exit score; its confidence c is compared with τ, CALM-style, c ≥ τ.
 */
function confidenceOf<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T {
  // `sigmoid`: the head's output is a single score [B, 1].
  return exit.measure === 'sigmoid'
    ? ops.sigmoid(squeezeLast(ops, head.logits))
    : maxSoftmax(ops, head.logits);
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
      values: ['maxprob', 'sigmoid'],
      description: 'maxprob: max softmax of the head’s logits; sigmoid: σ of the head’s single score.',
    },
  ],
  weights: [],
  headOutputs: ['logits'],
  needsUniform: false,
  confidence: 'the head’s confidence c',
  signalType: 'float32',
  signal: confidenceOf,
  step: <T>(ops: PolicyOps<T>, state: PolicyState<T>, c: T): StepResult<T> => ({
    state,
    exit: ops.greaterOrEqual(c, ops.parameter('threshold')),
    confidence: c,
  }),
});
