import type { PolicyOps } from '../ops.js';
import {
  defineSpec,
  type ExitContext,
  type HeadOutputs,
  type PolicyState,
  type StepResult,
  stateOf,
  type WeightDecl,
} from '../spec.js';
import { squeezeLast } from './measures.js';

/**
 * PALBERT's halting probability λ_i = σ(Λ([pool_i; pool_(i−1)])), "linear_cat" (current first, pool_0 = 0),
 * Λ = K × (Linear(2H, 2H) + tanh), then Linear(2H, 1). float32 [B].
 */
function lambdaSignal<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T {
  if (!head.pooled) throw new Error('the lambda signal needs the pooled vector');
  let a = ops.concat([head.pooled, head.previousPooled ?? ops.zerosLike(head.pooled)]);
  for (let k = 0; k < (exit.lambdaBlocks ?? 0); k++) {
    a = ops.tanh(ops.linear(a, ops.weight(`hidden.${k}.weight`), ops.weight(`hidden.${k}.bias`)));
  }
  return squeezeLast(ops, ops.sigmoid(ops.linear(a, ops.weight('out.weight'), ops.weight('out.bias'))));
}

/** Relative to the user's key template of the lambda MLP (e.g. `palbert.lambda.`). */
const lambdaWeights: readonly WeightDecl[] = [
  {
    key: 'hidden.{k}.weight',
    shape: ({ hidden }) => [2 * hidden, 2 * hidden],
    scope: 'shared',
    repeat: 'lambdaBlocks',
  },
  { key: 'hidden.{k}.bias', shape: ({ hidden }) => [2 * hidden], scope: 'shared', repeat: 'lambdaBlocks' },
  { key: 'out.weight', shape: ({ hidden }) => [1, 2 * hidden], scope: 'shared' },
  { key: 'out.bias', shape: () => [1], scope: 'shared' },
];

const lambdaOptions = [
  {
    name: 'lambdaBlocks',
    default: 3,
    description: 'Hidden Linear(2H,2H)+tanh blocks of the lambda MLP (PALBERT uses 3).',
  },
] as const;

/**
 * PALBERT's deterministic Q-exit (tinkoff-ai/palbert `palbert_fast.py`, eval branch): p = λ·S, S ← S·(1−λ),
 * cdf ← cdf + p, exit when cdf > q (strict). Accumulated in float64, as the reference does in Python floats.
 */
export const qexit = defineSpec({
  kind: 'qexit',
  summary:
    'PALBERT Q-exit: lambda layers give per-layer halting probabilities; exit when their CDF exceeds q.',
  source: 'Balagansky & Gavrilov 2022 (arXiv 2204.03276), tinkoff-ai/palbert palbert_fast.py',
  parameters: [
    {
      name: 'q',
      dtype: 'float64',
      default: 0.5,
      minimum: 0,
      maximum: 1,
      exclusive: true,
      description: 'Exit when the cumulative exit probability is strictly greater than q.',
    },
  ],
  options: lambdaOptions,
  weights: lambdaWeights,
  headOutputs: ['logits', 'pooled', 'previousPooled'],
  needsUniform: false,
  state: [
    { name: 'survival', dtype: 'float64', initial: 1, description: 'S = Π(1 − λ_j) over earlier exits.' },
    { name: 'cdf', dtype: 'float64', initial: 0, description: 'Σ p_j = Σ λ_j·S_(j−1) over exits so far.' },
  ],
  confidence: 'the cumulative exit probability cdf (float32)',
  signalType: 'float32',
  signal: lambdaSignal,
  step<T>(ops: PolicyOps<T>, state: PolicyState<T>, lambda: T): StepResult<T> {
    const l = ops.cast(lambda, 'float64');
    const survival = stateOf(state, 'survival');
    const cdf = ops.add(stateOf(state, 'cdf'), ops.mul(l, survival));
    return {
      state: { survival: ops.mul(survival, ops.sub(ops.constant(1, 'float64'), l)), cdf },
      exit: ops.greater(cdf, ops.parameter('q')),
      confidence: ops.cast(cdf, 'float32'),
    };
  },
});

/**
 * PonderNet's sampling exit (PALBERT `--exit-criteria sample`): halt at exit i with probability λ_i.
 * Made reproducible: the caller passes the uniform numbers u [B, exits], and a sample exits when u_i < λ_i,
 * which has exactly probability λ_i for u ~ U[0, 1).
 */
export const pondernet = defineSpec({
  kind: 'pondernet',
  summary:
    'PonderNet: exit at layer i with probability lambda_i, using uniform numbers the caller passes in.',
  source: 'Banino et al. 2021; PALBERT’s "sample" criterion (palbert_fast.py); Bernoulli replaced by u < λ',
  parameters: [],
  options: lambdaOptions,
  weights: lambdaWeights,
  headOutputs: ['logits', 'pooled', 'previousPooled'],
  needsUniform: true,
  confidence: 'the halting probability λ of this exit',
  signalType: 'float32',
  signal: lambdaSignal,
  step<T>(ops: PolicyOps<T>, state: PolicyState<T>, lambda: T, exit: ExitContext): StepResult<T> {
    return { state, exit: ops.less(ops.uniform(exit.exitIndex), lambda), confidence: lambda };
  },
});
