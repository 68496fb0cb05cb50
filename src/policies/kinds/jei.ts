import type { PolicyOps } from '../ops.js';
import {
  defineSpec,
  type ExitContext,
  type HeadOutputs,
  type PolicyState,
  type StepResult,
  stateOf,
} from '../spec.js';
import { softmaxEntropy, squeezeLast } from './measures.js';

/**
 * JEI-DNN's gate g = σ(w·[p_max, H(p), p(1) − p(2), H(softmax(2z))] + b) on the exit's own logits
 * (networkslab/dynn `metrics_utils.compute_detached_uncertainty_metrics`, `LearnableUncGate`). The feature
 * order is fixed by the trained gate weights. H(p²/Σp²) = H(softmax(2z)).
 */
function gateSignal<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T {
  const z = head.logits;
  // The last exit is the backbone's own head: it has no gate, and the driver makes it exit anyway.
  if (exit.exitIndex === exit.exitCount - 1) return ops.zerosLike(ops.reduceMax(z));
  const p = ops.softmax(z);
  const [first, second] = ops.top2(p);
  const doubled = ops.mul(z, ops.constant(2, 'float32'));
  const features = ops.stack([
    first,
    softmaxEntropy(ops, z),
    ops.sub(first, second),
    softmaxEntropy(ops, doubled),
  ]);
  return squeezeLast(ops, ops.sigmoid(ops.linear(features, ops.weight('weight'), ops.weight('bias'))));
}

/**
 * The exit rule, in its simplified exact form (policies.md §3(a): equal to the code's P/q/Sq loop on 200,000
 * random sequences): with R = 1 − Σ earlier g, exit when R > 0 and g ≥ t·R. The paper's t is 0.5.
 */
export const jei = defineSpec({
  kind: 'jei',
  summary: 'JEI-DNN learned gates: exit when the gate value reaches t times the probability mass left.',
  source: 'Regol, Chataoui & Coates 2024 (arXiv 2310.09163), networkslab/dynn classifier_training_helper.py',
  parameters: [
    {
      name: 'threshold',
      dtype: 'float32',
      default: 0.5,
      minimum: 0,
      maximum: 1,
      description: 'The paper fixes 0.5; other values trade accuracy for speed without retraining.',
    },
  ],
  // Relative to the user's key template of the gates, which holds `{i}` (e.g. `jei.gate.{i}.`).
  weights: [
    { key: 'weight', shape: () => [1, 4], scope: 'per-exit', exceptLast: true },
    { key: 'bias', shape: () => [1], scope: 'per-exit', exceptLast: true },
  ],
  headOutputs: ['logits'],
  needsUniform: false,
  state: [{ name: 'gateSum', dtype: 'float32', initial: 0, description: 'Σ g over earlier exits.' }],
  confidence: 'the gate value g of this exit',
  signalType: 'float32',
  signal: gateSignal,
  step<T>(ops: PolicyOps<T>, state: PolicyState<T>, gate: T): StepResult<T> {
    const gateSum = stateOf(state, 'gateSum');
    const remaining = ops.sub(ops.constant(1, 'float32'), gateSum);
    const exit = ops.and(
      ops.greater(remaining, ops.constant(0, 'float32')),
      ops.greaterOrEqual(gate, ops.mul(ops.parameter('threshold'), remaining)),
    );
    return { state: { gateSum: ops.add(gateSum, gate) }, exit, confidence: gate };
  },
});
