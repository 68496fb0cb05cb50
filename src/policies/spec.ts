import type { DType, PolicyOps } from './ops.js';

export type PolicyKind = 'pabee' | 'qexit' | 'pondernet' | 'jei' | 'maxprob' | 'entropy' | 'margin';

/** A policy parameter: a graph input with a default in compiled models, a typed setter in the SDK. */
export interface ParameterDecl {
  readonly name: string;
  readonly dtype: DType;
  readonly description: string;
  readonly default: number;
  readonly minimum?: number;
  readonly maximum?: number;
  /** True when the bound itself is excluded (e.g. q in (0, 1)). */
  readonly exclusive?: boolean;
  readonly integer?: boolean;
}

/** What an exit's head hands the policy, per sample. */
export interface HeadOutputs<T> {
  /** [B, C] logits of this exit. */
  readonly logits: T;
  /** [B, H] pooled vector (policies with `needsPooled`). */
  readonly pooled?: T;
  /** [B, H] pooled vector of the previous exit (undefined at the first exit). */
  readonly previousPooled?: T;
  /** [B] uniform numbers for this exit (PonderNet). */
  readonly uniform?: T;
}

export interface ExitContext {
  /** 1-based backbone layer of this exit. */
  readonly layer: number;
  /** 0-based position among the exits. */
  readonly exitIndex: number;
  readonly exitCount: number;
  readonly classes: number;
  /** PALBERT: number of hidden Linear+tanh blocks in the lambda MLP. */
  readonly lambdaBlocks?: number;
  /** Entropy: divide by ln C (FastBERT). */
  readonly normalizedEntropy?: boolean;
}

export type PolicyState<T> = Readonly<Record<string, T>>;

export interface StepResult<T> {
  readonly state: PolicyState<T>;
  /** bool [B]: the policy wants this sample to exit here. */
  readonly exit: T;
  /** float32 [B]: the measured confidence (policy specific; see each spec). */
  readonly confidence: T;
}

/** Weights a policy needs per exit, relative to the policy's key template; shapes in terms of H, C, K. */
export interface WeightDecl {
  readonly key: string;
  readonly shape: (dims: { hidden: number; classes: number }) => readonly number[];
  /** `per-exit`: the key template contains `{i}`; `shared`: one tensor for all exits. */
  readonly scope: 'per-exit' | 'shared';
  /** Exits at which the weight is absent (JEI has no gate at the last layer). */
  readonly exceptLast?: boolean;
}

/**
 * One specification per policy. `signal` derives this exit's per-sample quantity from the head outputs
 * (thresholds never enter it), `step` is the decision state machine over signals. The compiler emits both
 * into the graph; the reference evaluator runs both numerically; the simulator replays `step` alone over
 * recorded signals.
 */
export interface PolicySpec {
  readonly kind: PolicyKind;
  readonly summary: string;
  readonly parameters: readonly ParameterDecl[];
  readonly weights: readonly WeightDecl[];
  readonly needsPooled: boolean;
  readonly needsUniform: boolean;
  /** dtype of the signal: what calibration records per exit. */
  readonly signalType: DType;
  signal<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T;
  init<T>(ops: PolicyOps<T>): PolicyState<T>;
  step<T>(ops: PolicyOps<T>, state: PolicyState<T>, signal: T, exit: ExitContext): StepResult<T>;
}
