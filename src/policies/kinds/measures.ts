import type { PolicyOps } from '../ops.js';

/** Confidence measures over a head's logits [B, C], each a float [B]; shared by several policies. */

/** max softmax(z) (CALM `softmax_max`, Shallow-Deep Networks). */
export function maxSoftmax<T>(ops: PolicyOps<T>, z: T): T {
  return ops.reduceMax(ops.softmax(z));
}

/** p(1) − p(2) of softmax(z) (CALM `softmax_diff`). */
export function softmaxMargin<T>(ops: PolicyOps<T>, z: T): T {
  const [first, second] = ops.top2(ops.softmax(z));
  return ops.sub(first, second);
}

/**
 * Entropy of softmax(z) as DeeBERT writes it, log Σe^z − Σ z·e^z / Σe^z, made overflow-safe:
 * ReduceLogSumExp(z) − Σ softmax(z)·z. Finite for any finite logits (e.g. [1000, −1000] gives 0).
 */
export function logitEntropy<T>(ops: PolicyOps<T>, z: T): T {
  return ops.sub(ops.reduceLogSumExp(z), ops.reduceSum(ops.mul(ops.softmax(z), z)));
}

/**
 * −Σ p·ln p without ever taking ln 0: −Σ softmax(z)·LogSoftmax(z) (a zero probability meets a finite
 * log-probability, not −∞). JEI-DNN's feature form.
 */
export function softmaxEntropy<T>(ops: PolicyOps<T>, z: T): T {
  return ops.neg(ops.reduceSum(ops.mul(ops.softmax(z), ops.logSoftmax(z))));
}

/** Drops a trailing axis of size 1 exactly (a one-element ReduceSum). */
export function squeezeLast<T>(ops: PolicyOps<T>, x: T): T {
  return ops.reduceSum(x);
}
