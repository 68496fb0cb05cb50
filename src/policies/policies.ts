import type { PolicyOps } from './ops.js';
import type { ExitContext, HeadOutputs, PolicySpec, PolicyState, StepResult } from './spec.js';

/** Drops a trailing axis of size 1 exactly (a one-element sum). */
const squeezeLast = <T>(ops: PolicyOps<T>, x: T) => ops.reduceSum(x);

/** PABEE (Zhou et al. 2020): exit once `patience` consecutive exits agree on the argmax. */
export const pabee: PolicySpec = {
  kind: 'pabee',
  summary: 'Patience-based early exit: exit when the prediction has not changed for `patience` exits.',
  parameters: [
    {
      name: 'patience',
      dtype: 'int64',
      default: 2,
      minimum: 0,
      integer: true,
      description: 'Consecutive agreeing exits needed; 0 runs the full model.',
    },
  ],
  weights: [],
  needsPooled: false,
  needsUniform: false,
  signalType: 'int64',
  signal: (ops, head) => ops.argmax(head.logits),
  init: (ops) => ({ previous: ops.constant(-1, 'int64'), count: ops.constant(0, 'int64') }),
  step<T>(ops: PolicyOps<T>, state: PolicyState<T>, prediction: T): StepResult<T> {
    const patience = ops.parameter('patience');
    const same = ops.equal(prediction, state.previous!);
    const count = ops.where(same, ops.add(state.count!, ops.constant(1, 'int64')), ops.constant(0, 'int64'));
    // `cnt == t`, as the official code tests it; patience 0 is the "full model" sentinel.
    const exit = ops.and(ops.equal(count, patience), ops.greater(patience, ops.constant(0, 'int64')));
    return { state: { previous: prediction, count }, exit, confidence: ops.cast(count, 'float32') };
  },
};

function lambdaSignal<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T {
  const pooled = head.pooled!;
  // PALBERT's "linear_cat": current pooled vector first, then the previous one (zeros before the first exit).
  let a = ops.concat([pooled, head.previousPooled ?? ops.zerosLike(pooled)]);
  for (let k = 0; k < (exit.lambdaBlocks ?? 0); k++) {
    a = ops.tanh(ops.linear(a, ops.weight(`lambda.hidden.${k}.weight`), ops.weight(`lambda.hidden.${k}.bias`)));
  }
  return squeezeLast(ops, ops.sigmoid(ops.linear(a, ops.weight('lambda.out.weight'), ops.weight('lambda.out.bias'))));
}

const lambdaWeights: PolicySpec['weights'] = [
  { key: 'lambda.out.weight', shape: ({ hidden }) => [1, 2 * hidden], scope: 'shared' },
  { key: 'lambda.out.bias', shape: () => [1], scope: 'shared' },
];

/** PALBERT's deterministic Q-exit: exit once the cumulative exit probability exceeds q. */
export const qexit: PolicySpec = {
  kind: 'qexit',
  summary: 'PALBERT Q-exit: lambda layers give per-layer halting probabilities; exit when their CDF exceeds q.',
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
  weights: lambdaWeights,
  needsPooled: true,
  needsUniform: false,
  signalType: 'float32',
  signal: lambdaSignal,
  init: (ops) => ({ survival: ops.constant(1, 'float64'), cdf: ops.constant(0, 'float64') }),
  step<T>(ops: PolicyOps<T>, state: PolicyState<T>, lambda: T): StepResult<T> {
    // PALBERT accumulates in Python floats, i.e. float64.
    const l = ops.cast(lambda, 'float64');
    const p = ops.mul(l, state.survival!);
    const survival = ops.mul(state.survival!, ops.sub(ops.constant(1, 'float64'), l));
    const cdf = ops.add(state.cdf!, p);
    const exit = ops.greater(cdf, ops.parameter('q'));
    return { state: { survival, cdf }, exit, confidence: ops.cast(cdf, 'float32') };
  },
};

/** PonderNet's sampling exit, made reproducible: the caller passes the uniform numbers. */
export const pondernet: PolicySpec = {
  kind: 'pondernet',
  summary: 'PonderNet: exit at layer i with probability lambda_i, using uniform numbers the caller passes in.',
  parameters: [],
  weights: lambdaWeights,
  needsPooled: true,
  needsUniform: true,
  signalType: 'float32',
  // λ − u is positive exactly when u < λ (IEEE subtraction keeps the sign), so the decision needs no u.
  signal: (ops, head, exit) => ops.sub(lambdaSignal(ops, head, exit), head.uniform!),
  init: () => ({}),
  step<T>(ops: PolicyOps<T>, _state: PolicyState<T>, margin: T): StepResult<T> {
    return { state: {}, exit: ops.greater(margin, ops.constant(0, 'float32')), confidence: margin };
  },
};

/** Entropy of softmax(z), NaN-free: logsumexp(z) − Σ softmax(z)·z. */
function entropyOf<T>(ops: PolicyOps<T>, z: T): T {
  return ops.sub(ops.reduceLogSumExp(z), ops.reduceSum(ops.mul(ops.softmax(z), z)));
}

/** JEI-DNN: learned gates over four uncertainty features; exit when g ≥ t·(1 − Σ earlier g). */
export const jei: PolicySpec = {
  kind: 'jei',
  summary: 'JEI-DNN learned gates: exit when the gate value reaches t times the probability mass left.',
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
  weights: [
    { key: 'gate.{i}.weight', shape: () => [1, 4], scope: 'per-exit', exceptLast: true },
    { key: 'gate.{i}.bias', shape: () => [1], scope: 'per-exit', exceptLast: true },
  ],
  needsPooled: false,
  needsUniform: false,
  signalType: 'float32',
  signal<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T {
    const z = head.logits;
    if (exit.exitIndex === exit.exitCount - 1) return ops.zerosLike(ops.reduceMax(z)); // no gate on the last exit
    const p = ops.softmax(z);
    const [first, second] = ops.top2(p);
    const entropy = ops.neg(ops.reduceSum(ops.mul(p, ops.logSoftmax(z))));
    const doubled = ops.mul(z, ops.constant(2, 'float32'));
    const entropyPow = ops.neg(ops.reduceSum(ops.mul(ops.softmax(doubled), ops.logSoftmax(doubled))));
    const features = ops.stack([first, entropy, ops.sub(first, second), entropyPow]);
    return squeezeLast(ops, ops.sigmoid(ops.linear(features, ops.weight('gate.{i}.weight'), ops.weight('gate.{i}.bias'))));
  },
  init: (ops) => ({ gateSum: ops.constant(0, 'float32') }),
  step<T>(ops: PolicyOps<T>, state: PolicyState<T>, gate: T): StepResult<T> {
    const remaining = ops.sub(ops.constant(1, 'float32'), state.gateSum!);
    const exit = ops.and(
      ops.greater(remaining, ops.constant(0, 'float32')),
      ops.greaterOrEqual(gate, ops.mul(ops.parameter('threshold'), remaining)),
    );
    return { state: { gateSum: ops.add(state.gateSum!, gate) }, exit, confidence: gate };
  },
};

function thresholdPolicy(
  kind: 'maxprob' | 'margin',
  summary: string,
  measure: <T>(ops: PolicyOps<T>, z: T) => T,
  defaultThreshold: number,
): PolicySpec {
  return {
    kind,
    summary,
    parameters: [
      { name: 'threshold', dtype: 'float32', default: defaultThreshold, minimum: 0, maximum: 1, description: 'Exit when the measure is at least this value.' },
    ],
    weights: [],
    needsPooled: false,
    needsUniform: false,
    signalType: 'float32',
    signal: (ops, head) => measure(ops, head.logits),
    init: () => ({}),
    step<T>(ops: PolicyOps<T>, _state: PolicyState<T>, measured: T): StepResult<T> {
      return { state: {}, exit: ops.greaterOrEqual(measured, ops.parameter('threshold')), confidence: measured };
    },
  };
}

/** Max-softmax (CALM's default, Shallow-Deep Networks): exit when max p ≥ τ. */
export const maxprob = thresholdPolicy(
  'maxprob',
  'Exit when the largest softmax probability reaches the threshold.',
  (ops, z) => ops.reduceMax(ops.softmax(z)),
  0.9,
);

/** Top-2 softmax margin (CALM `softmax_diff`): exit when p(1) − p(2) ≥ τ. */
export const margin = thresholdPolicy(
  'margin',
  'Exit when the gap between the two largest softmax probabilities reaches the threshold.',
  (ops, z) => {
    const [first, second] = ops.top2(ops.softmax(z));
    return ops.sub(first, second);
  },
  0.5,
);

/** Entropy (DeeBERT; FastBERT when normalised by ln C): exit when the entropy is below τ. */
export const entropy: PolicySpec = {
  kind: 'entropy',
  summary: 'Exit when the softmax entropy (optionally divided by ln C) falls below the threshold.',
  parameters: [
    { name: 'threshold', dtype: 'float32', default: 0.3, minimum: 0, description: 'Exit when the entropy is strictly below this value.' },
  ],
  weights: [],
  needsPooled: false,
  needsUniform: false,
  signalType: 'float32',
  signal<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T {
    const h = entropyOf(ops, head.logits);
    return exit.normalizedEntropy ? ops.div(h, ops.constant(Math.log(exit.classes), 'float32')) : h;
  },
  init: () => ({}),
  step<T>(ops: PolicyOps<T>, _state: PolicyState<T>, measured: T): StepResult<T> {
    return { state: {}, exit: ops.less(measured, ops.parameter('threshold')), confidence: measured };
  },
};

export const policySpecs: Readonly<Record<PolicySpec['kind'], PolicySpec>> = {
  pabee,
  qexit,
  pondernet,
  jei,
  maxprob,
  entropy,
  margin,
};
