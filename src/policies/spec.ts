import type { DType, PolicyOps } from './ops.js';

export type PolicyKind =
  | 'pabee'
  | 'qexit'
  | 'pondernet'
  | 'jei'
  | 'maxprob'
  | 'entropy'
  | 'margin'
  | 'mamba'
  | 'learned';

/** A run-time parameter (a threshold): a graph input with a default in compiled models, a typed SDK setter. */
export interface ParameterDecl {
  readonly name: string;
  readonly dtype: DType;
  readonly description: string;
  readonly default: number;
  readonly minimum?: number;
  readonly maximum?: number;
  /** True when both bounds are excluded (e.g. q in (0, 1)). */
  readonly exclusive?: boolean;
  readonly integer?: boolean;
  /** One value per exit (DeeBERT's per-layer entropy thresholds); a single value applies to every exit. */
  readonly perExit?: boolean;
}

/**
 * Compile-time choices that change the emitted graph (not run-time parameters). Each is an optional field
 * of the exit context; a spec lists the ones it reads in `options`.
 */
export interface PolicyOptions {
  /** PALBERT / PonderNet: hidden Linear(2H,2H)+tanh blocks in the lambda MLP. */
  readonly lambdaBlocks?: number;
  /** Entropy: divide by ln C (FastBERT); otherwise the raw entropy (DeeBERT). */
  readonly normalizedEntropy?: boolean;
  /** PABEE: compare argmax (classification) or the scalar output (regression). */
  readonly task?: 'classification' | 'regression';
  /**
   * Mamba (DYNAMAX) policy: how the head's output becomes a confidence in [0, 1]: max softmax, top-2 softmax
   * margin, certainty 1 − H/ln C, or σ of a single exit score.
   */
  readonly measure?: 'maxprob' | 'margin' | 'entropy' | 'sigmoid';
}

export interface OptionDecl {
  readonly name: keyof PolicyOptions;
  readonly description: string;
  readonly default: number | boolean | string;
  /** The allowed values of a string option. */
  readonly values?: readonly string[];
}

/** Where the policy sits: the exit being decided, and the compile-time options. */
export interface ExitContext extends PolicyOptions {
  /** 1-based backbone layer of this exit. */
  readonly layer: number;
  /** 0-based position among the exits. */
  readonly exitIndex: number;
  readonly exitCount: number;
  readonly classes: number;
}

/** The head outputs a signal may read (declared per spec in `headOutputs`). */
export type HeadOutputName = 'logits' | 'pooled' | 'previousPooled';

/** What an exit's head hands the policy. */
export interface HeadOutputs<T> {
  /** float32 [B, C] logits of this exit ([B, 1] for regression and scalar heads). */
  readonly logits: T;
  /** float32 [B, H] pooled vector. */
  readonly pooled?: T;
  /** float32 [B, H] pooled vector of the previous exit; absent at the first exit (policies use zeros). */
  readonly previousPooled?: T;
  /** float32 [B, 2] scores of a confidence classifier computed beside the head (a Mamba block's). */
  readonly scores?: T;
}

/** Sizes that weight shapes are stated in. */
export interface WeightDims {
  readonly hidden: number;
  readonly classes: number;
  readonly lambdaBlocks: number;
}

/**
 * A weight a policy reads. Keys are relative to the user's key template for the policy's learned part
 * (`palbert.lambda.`, `jei.gate.{i}.`); the full key is template + key with `{i}` = the exit layer's
 * 0-based module index.
 */
export interface WeightDecl {
  /** `{k}` = block index (with `repeat`). */
  readonly key: string;
  readonly shape: (dims: WeightDims) => readonly number[];
  /** `per-exit`: one tensor per exit (the template must hold `{i}`); `shared`: one for all exits. */
  readonly scope: 'per-exit' | 'shared';
  /** Absent at the last exit (JEI has no gate there: the backbone's own head decides nothing). */
  readonly exceptLast?: boolean;
  /** Repeated `lambdaBlocks` times with `{k}` = 0..K−1. */
  readonly repeat?: 'lambdaBlocks';
}

/**
 * One entry of the per-sample decision state. Every state value is [B] after the first step; segmented
 * models pass exactly these tensors from one segment to the next.
 */
export interface StateDecl {
  readonly name: string;
  readonly dtype: DType | ((options: PolicyOptions) => DType);
  /** The value before the first exit (a scalar that broadcasts). */
  readonly initial: number;
  readonly description: string;
}

export type PolicyState<T> = Readonly<Record<string, T>>;

export interface StepResult<T> {
  readonly state: PolicyState<T>;
  /** bool [B]: the policy wants this sample to exit here (before the driver's min_exit / last-exit rules). */
  readonly exit: T;
  /** float32 [B]: the measured confidence (see each spec's `confidence`). */
  readonly confidence: T;
}

/**
 * One specification per policy. `signal` derives this exit's per-sample quantity from the head outputs and
 * the policy's weights (thresholds never enter it); `init`/`step` are the decision state machine over
 * signals, the only place parameters are read. The compiler emits both into the graph; the reference
 * evaluator runs both numerically; the simulator replays `step` alone over recorded signals.
 */
export interface PolicySpec {
  readonly kind: PolicyKind;
  readonly summary: string;
  /** Where the rule comes from (paper, code) and any deliberate deviation. */
  readonly source: string;
  readonly parameters: readonly ParameterDecl[];
  readonly options: readonly OptionDecl[];
  readonly weights: readonly WeightDecl[];
  readonly headOutputs: readonly HeadOutputName[];
  /** The signal reads `pooled` (and `previousPooled`). */
  readonly needsPooled: boolean;
  /** The decision reads caller-supplied uniform numbers (`ops.uniform`). */
  readonly needsUniform: boolean;
  readonly state: readonly StateDecl[];
  /** What `confidence` measures, for the manifest and the SDK docs. */
  readonly confidence: string;
  /** Type of the [B] signal: what calibration records per exit. */
  signalType(options: PolicyOptions): DType;
  signal<T>(ops: PolicyOps<T>, head: HeadOutputs<T>, exit: ExitContext): T;
  init<T>(ops: PolicyOps<T>): PolicyState<T>;
  step<T>(ops: PolicyOps<T>, state: PolicyState<T>, signal: T, exit: ExitContext): StepResult<T>;
}

/** The fields every spec states; `defineSpec` derives the rest so they cannot disagree. */
export type SpecDefinition = Omit<PolicySpec, 'needsPooled' | 'init' | 'options' | 'state' | 'signalType'> & {
  readonly options?: readonly OptionDecl[];
  readonly state?: readonly StateDecl[];
  readonly signalType: DType | ((options: PolicyOptions) => DType);
};

export function defineSpec(definition: SpecDefinition): PolicySpec {
  const state = definition.state ?? [];
  const signalType = definition.signalType;
  return {
    ...definition,
    options: definition.options ?? [],
    state,
    needsPooled: definition.headOutputs.includes('pooled'),
    signalType: typeof signalType === 'function' ? signalType : () => signalType,
    // Initial values are scalars that broadcast against the first [B] signal.
    init: <T>(ops: PolicyOps<T>) =>
      Object.fromEntries(stateLayout(state, {}).map((s) => [s.name, ops.constant(s.initial, s.dtype)])),
  };
}

/** The state entries with their types resolved for `options`: what segmented models pass along, [B] each. */
export function stateLayout(
  state: readonly StateDecl[],
  options: PolicyOptions,
): { name: string; dtype: DType; initial: number }[] {
  return state.map((s) => ({
    name: s.name,
    dtype: typeof s.dtype === 'function' ? s.dtype(options) : s.dtype,
    initial: s.initial,
  }));
}

/** State entry `name`, which `init` or the previous step put there. */
export function stateOf<T>(state: PolicyState<T>, name: string): T {
  const value = state[name];
  if (value === undefined) throw new Error(`policy state has no '${name}'`);
  return value;
}

/** Full key of a policy weight at the exit of `layer` (1-based), given the user's key template. */
export function weightKey(template: string, key: string, layer: number): string {
  return `${template}${key}`.replaceAll('{i}', String(layer - 1));
}

/** Every weight one exit reads (full keys) with its expected shape: for link checks and the manifest. */
export function weightsAt(
  spec: PolicySpec,
  at: {
    readonly template: string;
    readonly exitIndex: number;
    readonly exitCount: number;
    readonly layer: number;
  },
  dims: WeightDims,
): { key: string; shape: readonly number[] }[] {
  const last = at.exitIndex === at.exitCount - 1;
  return spec.weights
    .filter((w) => !(w.exceptLast && last))
    .flatMap((w) => {
      const blocks =
        w.repeat === 'lambdaBlocks' ? Array.from({ length: dims.lambdaBlocks }, (_, k) => k) : [undefined];
      return blocks.map((k) => ({
        key: weightKey(at.template, w.key.replaceAll('{k}', String(k)), at.layer),
        shape: w.shape(dims),
      }));
    });
}
