import type { PolicyOps } from '../ops.js';
import { defineSpec, type ExitContext, type PolicyState, type StepResult, stateOf } from '../spec.js';
import { squeezeLast } from './measures.js';

/**
 * PABEE (Zhou et al. 2020; JetRunner/PABEE `AlbertModel.forward`): count consecutive exits that agree with
 * the previous one, exit when the count reaches `patience`.
 *
 * Deviation, on purpose: the official code counts an agreement only when *all* samples of the batch agree
 * (`torch.all`) and exits the whole batch together; here every sample keeps its own counter. At batch 1,
 * which is how the authors evaluate (and the HF port requires), the two are the same rule.
 */
export const pabee = defineSpec({
  kind: 'pabee',
  summary: 'Patience-based early exit: exit when the prediction has not changed for `patience` exits.',
  source: 'Zhou et al. 2020 (arXiv 2006.04152), JetRunner/PABEE modeling_albert.py; per-sample counters',
  parameters: [
    {
      name: 'patience',
      dtype: 'int64',
      default: 2,
      minimum: 0,
      integer: true,
      description:
        'Consecutive agreeing exits needed (exit once the count reaches it); 0 runs the full model.',
    },
    {
      name: 'threshold',
      dtype: 'float32',
      default: 0,
      minimum: 0,
      description:
        'Regression only: consecutive outputs agree when |z_i − z_(i−1)| < threshold (0 never agrees).',
    },
  ],
  options: [
    {
      name: 'task',
      default: 'classification',
      values: ['classification', 'regression'],
      description: 'Classification compares argmax predictions; regression compares the scalar outputs.',
    },
  ],
  weights: [],
  headOutputs: ['logits'],
  needsUniform: false,
  state: [
    {
      name: 'previous',
      dtype: (options) => (options.task === 'regression' ? 'float32' : 'int64'),
      initial: -1,
      description: 'The previous exit’s signal: its argmax, or its output z for regression.',
    },
    { name: 'count', dtype: 'int64', initial: 0, description: 'Consecutive agreements so far.' },
  ],
  confidence: 'the agreement count (float32)',
  signalType: (options) => (options.task === 'regression' ? 'float32' : 'int64'),
  signal: (ops, head, exit) =>
    exit.task === 'regression' ? squeezeLast(ops, head.logits) : ops.argmax(head.logits),
  step<T>(ops: PolicyOps<T>, state: PolicyState<T>, signal: T, exit: ExitContext): StepResult<T> {
    const zero = ops.cast(ops.zerosLike(signal), 'int64');
    // The first exit has nothing to agree with: its count is 0 whatever `previous` holds.
    const count =
      exit.exitIndex === 0
        ? zero
        : ops.where(
            agrees(ops, signal, stateOf(state, 'previous'), exit),
            ops.add(stateOf(state, 'count'), ops.constant(1, 'int64')),
            zero,
          );
    const patience = ops.parameter('patience');
    // The official code tests `cnt == t`. The count grows by at most 1 per exit from 0, so the first exit
    // with `cnt >= t` is that same exit; `>=` differs only when min_exit holds a sample back, where `==`
    // would keep a sample that agreed for longer than t from ever exiting. Patience 0 is the code's
    // "full model" sentinel, never an exit.
    const exitNow = ops.and(
      ops.greaterOrEqual(count, patience),
      ops.greater(patience, ops.constant(0, 'int64')),
    );
    return { state: { previous: signal, count }, exit: exitNow, confidence: ops.cast(count, 'float32') };
  },
});

function agrees<T>(ops: PolicyOps<T>, current: T, previous: T, exit: ExitContext): T {
  if (exit.task !== 'regression') return ops.equal(current, previous);
  // Strict '<', as the official code.
  return ops.less(ops.abs(ops.sub(current, previous)), ops.parameter('threshold'));
}
