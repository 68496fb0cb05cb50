import type { PolicyOps } from './ops.js';
import type { ExitContext } from './spec.js';

/** What survives from exit to exit: each sample's first exit (its logits, layer and confidence). */
export interface Carried<T> {
  /** bool [B]: the sample has exited at this exit or earlier. */
  readonly exited: T;
  /** float32 [B, C]. */
  readonly logits: T;
  /** int64 [B], 1-based. */
  readonly layer: T;
  /** float32 [B]. */
  readonly confidence: T;
}

export interface DriverRules {
  /** Never exit before this 1-based layer. */
  readonly minExit: number;
}

/**
 * The rules every policy shares, written once for every interpretation: no exit before `min_exit`, the
 * last exit always exits, and a sample that has exited keeps its first exit (logits, layer, confidence)
 * while the rest of the batch goes on. The policy's state keeps updating before `min_exit` (PABEE's
 * counter counts from the first exit, as in the original code).
 */
export function driverStep<T>(
  ops: PolicyOps<T>,
  carried: Carried<T> | undefined,
  current: { readonly logits: T; readonly exit: T; readonly confidence: T },
  exit: ExitContext,
  rules: DriverRules,
): Carried<T> {
  // [B]-shaped constants, so every carried value has one entry per sample from the first exit on.
  const zeros = ops.zerosLike(current.confidence);
  const allTrue = ops.equal(zeros, zeros);
  const wants =
    exit.exitIndex === exit.exitCount - 1
      ? allTrue
      : exit.layer < rules.minExit
        ? ops.not(allTrue)
        : current.exit;
  const layerHere = ops.add(ops.cast(zeros, 'int64'), ops.constant(exit.layer, 'int64'));
  if (!carried) {
    return {
      exited: ops.and(wants, allTrue),
      logits: current.logits,
      layer: layerHere,
      confidence: current.confidence,
    };
  }
  const keep = carried.exited;
  return {
    exited: ops.or(keep, wants),
    logits: ops.where(ops.unsqueezeLast(keep), carried.logits, current.logits),
    layer: ops.where(keep, carried.layer, layerHere),
    confidence: ops.where(keep, carried.confidence, current.confidence),
  };
}
