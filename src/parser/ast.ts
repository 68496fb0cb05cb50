/**
 * The `.ramp` abstract syntax tree: what the parser produces and what the checker, linker and compiler read.
 *
 * Every node is immutable and carries `kind` (its discriminant) and `loc` (its span in the `.ramp` file).
 * Blocks keep their members in source order (`members`, `params`) for the formatter and for "declared twice"
 * diagnostics; the named fields next to them give the first occurrence, typed, for everyone else.
 *
 * Layer numbers are 1-based as the user writes them; `{i}` in templates is the 0-based module index.
 */
import type { SourceSpan } from '../diagnostics/index.js';

export interface AstNode {
  readonly kind: string;
  readonly loc: SourceSpan;
}

// ---------------------------------------------------------------------------------------------------------
// Literals and parameters

export interface StringLiteral extends AstNode {
  readonly kind: 'String';
  /** The value with escapes decoded. */
  readonly value: string;
}

/** A file path as written, and resolved against the directory of the `.ramp` file. */
export interface PathLiteral extends AstNode {
  readonly kind: 'Path';
  readonly written: string;
  /** Absolute path. */
  readonly resolved: string;
}

export interface NumberLiteral extends AstNode {
  readonly kind: 'Number';
  readonly value: number;
  /** Source text, kept so the formatter never rewrites `1e-3` as `0.001`. */
  readonly raw: string;
}

/** A bare word used as a value (`cls`, `fp16`, `true`, `gelu`). */
export interface NameLiteral extends AstNode {
  readonly kind: 'Name';
  readonly value: string;
}

export interface ListLiteral extends AstNode {
  readonly kind: 'List';
  readonly items: readonly Value[];
}

/** A call-shaped value, e.g. `mlp(layers: 3, hidden: 128)`, optionally followed by a weights source. */
export interface CallLiteral extends AstNode {
  readonly kind: 'Call';
  readonly callee: NameLiteral;
  readonly args: readonly Param[];
  readonly weights?: WeightsDecl;
}

/** A weights clause used as a value, e.g. `gates: weights "heads.safetensors" key "jei.gate.{i}."`. */
export type Value = StringLiteral | NumberLiteral | NameLiteral | ListLiteral | CallLiteral | WeightsDecl;

/** `name: value` inside a parameter block or a call. */
export interface Param extends AstNode {
  readonly kind: 'Param';
  readonly name: string;
  readonly nameLoc: SourceSpan;
  readonly value: Value;
}

/**
 * A typed view of one parameter: the decoded value plus where it came from, so a check can point at the
 * value (`valueLoc`) or the whole `name: value` (`loc`).
 */
export interface Typed<T> {
  readonly value: T;
  readonly loc: SourceSpan;
  readonly valueLoc: SourceSpan;
  readonly param: Param;
}

// ---------------------------------------------------------------------------------------------------------
// File and model

export interface Comment extends AstNode {
  readonly kind: 'Comment';
  /** Text after `#`, without the line break. */
  readonly text: string;
}

export interface RampFile extends AstNode {
  readonly kind: 'RampFile';
  /** The path given to the parser (used in every span). */
  readonly file: string;
  /** Absolute directory against which relative paths were resolved. */
  readonly directory: string;
  readonly models: readonly ModelDecl[];
  /** All comments in source order; the formatter puts them back. */
  readonly comments: readonly Comment[];
}

export type ModelMember =
  | BackboneDecl
  | ExitsDecl
  | PolicyDecl
  | TargetDecl
  | SdkDecl
  | CalibrationDecl
  | DecodeDecl;

export interface ModelDecl extends AstNode {
  readonly kind: 'Model';
  readonly name: NameLiteral;
  /** All blocks in source order, duplicates included. */
  readonly members: readonly ModelMember[];
  /** First occurrence of each block; the required ones are checked present (see `CheckedModel`). */
  readonly backbone?: BackboneDecl;
  readonly exits?: ExitsDecl;
  readonly policy?: PolicyDecl;
  readonly targets: readonly TargetDecl[];
  readonly sdk?: SdkDecl;
  readonly calibration?: CalibrationDecl;
  readonly decode?: DecodeDecl;
}

// ---------------------------------------------------------------------------------------------------------
// Backbone

export type BackboneMember = LayersDecl | IoNamesDecl;

export interface BackboneDecl extends AstNode {
  readonly kind: 'Backbone';
  readonly path: PathLiteral;
  readonly members: readonly BackboneMember[];
  /** Where the layers are; `auto` when not given. */
  readonly layers?: LayersDecl;
  /** Graph inputs to use (all of them when not given). */
  readonly inputs?: IoNamesDecl;
  /** Graph outputs to use (all of them when not given). */
  readonly outputs?: IoNamesDecl;
}

export interface IoNamesDecl extends AstNode {
  readonly kind: 'IoNames';
  readonly direction: 'inputs' | 'outputs';
  readonly names: readonly StringLiteral[];
}

export interface LayersDecl extends AstNode {
  readonly kind: 'Layers';
  readonly spec: LayerSpec;
}

export type LayerSpec =
  | { readonly kind: 'AutoLayers'; readonly loc: SourceSpan }
  /** Node/tensor name pattern with `{i}`, e.g. `/bert/encoder/layer.{i}/`. */
  | { readonly kind: 'PatternLayers'; readonly loc: SourceSpan; readonly pattern: StringLiteral }
  /** Explicit cut tensors: the hidden state after layer 1, 2, ... N. */
  | { readonly kind: 'CutLayers'; readonly loc: SourceSpan; readonly cuts: readonly StringLiteral[] };

// ---------------------------------------------------------------------------------------------------------
// Exits

export type ExitSelection =
  | { readonly kind: 'ExitList'; readonly loc: SourceSpan; readonly layers: readonly NumberLiteral[] }
  | {
      readonly kind: 'ExitRange';
      readonly loc: SourceSpan;
      readonly from: NumberLiteral;
      readonly to: NumberLiteral;
    }
  /** Layers k, 2k, 3k, ... up to the last layer. */
  | { readonly kind: 'ExitEvery'; readonly loc: SourceSpan; readonly step: NumberLiteral }
  /** Every layer (or, with `from outputs`, every layer whose output exists). */
  | { readonly kind: 'ExitAll'; readonly loc: SourceSpan };

export type ExitsMember = PoolDecl | HeadDecl | WeightsDecl;

export interface ExitsDecl extends AstNode {
  readonly kind: 'Exits';
  readonly selection: ExitSelection;
  /** Heads already in the graph: output-name template such as `exit_logits.{i}`. Excludes head/weights. */
  readonly fromOutputs?: StringLiteral;
  readonly members: readonly ExitsMember[];
  readonly pool?: PoolDecl;
  readonly head?: HeadDecl;
  readonly weights?: WeightsDecl;
}

export type PoolMode = 'cls' | 'mean' | 'last' | 'none';

export interface PoolDecl extends AstNode {
  readonly kind: 'Pool';
  readonly mode: PoolMode;
  readonly modeLoc: SourceSpan;
}

export type Activation = 'tanh' | 'relu' | 'gelu' | 'sigmoid';

export interface LinearHead extends AstNode {
  readonly kind: 'LinearHead';
  readonly classes?: Typed<number>;
}

/** `mlp(hidden, layers, activation)`: `layers` blocks of Linear + activation, then a Linear to the classes. */
export interface MlpHead extends AstNode {
  readonly kind: 'MlpHead';
  readonly hidden?: Typed<number>;
  readonly layers?: Typed<number>;
  readonly activation?: Typed<Activation>;
  readonly classes?: Typed<number>;
}

/** A Mamba block used as an exit classifier (DYNAMAX). */
export interface MambaHead extends AstNode {
  readonly kind: 'MambaHead';
  readonly dState?: Typed<number>;
  readonly dConv?: Typed<number>;
  readonly expand?: Typed<number>;
  readonly classes?: Typed<number>;
}

/** `lm_head`: the backbone's own output projection (a decoder's LM head), reused at every exit; no weights. */
export interface LmHead extends AstNode {
  readonly kind: 'LmHead';
}

export type Classifier = LinearHead | MlpHead | MambaHead | LmHead;

export type NormKind = 'layernorm' | 'rmsnorm';

/**
 * `head linear(...)`, `head pooler + linear(...)` (BERT pooler: Linear + tanh, shared by all exits), or
 * `head layernorm + lm_head` (a per-exit norm before the decoder's own LM head).
 */
export interface HeadDecl extends AstNode {
  readonly kind: 'Head';
  readonly pooler?: { readonly kind: 'Pooler'; readonly loc: SourceSpan };
  readonly norm?: { readonly kind: 'Norm'; readonly norm: NormKind; readonly loc: SourceSpan };
  readonly classifier: Classifier;
}

/** The names of a head's weight groups, each with its own key prefix. */
export type WeightComponent =
  | 'pooler'
  | 'layernorm'
  | 'rmsnorm'
  | 'linear'
  | 'mlp'
  | 'mamba'
  | 'lambda'
  | 'gate';

/** One key prefix; `{i}` makes it per exit, without `{i}` one tensor set is shared by all exits. */
export interface WeightKey extends AstNode {
  readonly kind: 'WeightKey';
  /** Undefined for the short form `key "..."`, which names the classifier's (or the policy part's) prefix. */
  readonly component?: WeightComponent;
  readonly componentLoc?: SourceSpan;
  readonly template: StringLiteral;
}

/** `weights "file.safetensors" key "prefix{i}."` or `weights "file" { pooler: "...", linear: "..." }`. */
export interface WeightsDecl extends AstNode {
  readonly kind: 'Weights';
  readonly file: PathLiteral;
  readonly keys: readonly WeightKey[];
}

// ---------------------------------------------------------------------------------------------------------
// Policies

export type PolicyName =
  | 'pabee'
  | 'qexit'
  | 'pondernet'
  | 'jei'
  | 'mamba'
  | 'learned'
  | 'maxprob'
  | 'entropy'
  | 'margin';
export const POLICY_NAMES: readonly PolicyName[] = [
  'pabee',
  'qexit',
  'pondernet',
  'jei',
  'mamba',
  'learned',
  'maxprob',
  'entropy',
  'margin',
];

interface PolicyBase extends AstNode {
  readonly kind: 'Policy';
  readonly name: PolicyName;
  readonly nameLoc: SourceSpan;
  /** All parameters in source order (unknown ones were reported and dropped). */
  readonly params: readonly Param[];
  /** No exit before this 1-based layer. */
  readonly minExit?: Typed<number>;
}

/** A learned part of a policy: its architecture and where its weights are. */
export interface PolicyModule extends AstNode {
  readonly kind: 'PolicyModule';
  readonly architecture?: Classifier;
  readonly weights?: WeightsDecl;
}

export interface PabeePolicy extends PolicyBase {
  readonly name: 'pabee';
  readonly patience?: Typed<number>;
  /** Regression tasks: consecutive outputs closer than this count as agreeing. */
  readonly regressionThreshold?: Typed<number>;
}

export interface QExitPolicy extends PolicyBase {
  readonly name: 'qexit';
  readonly q?: Typed<number>;
  /** PALBERT's Λ: `mlp(layers: K)` with weights. */
  readonly lambda?: PolicyModule;
}

export interface PonderNetPolicy extends PolicyBase {
  readonly name: 'pondernet';
  readonly lambda?: PolicyModule;
}

export interface JeiPolicy extends PolicyBase {
  readonly name: 'jei';
  /** Gate weights: `gates: weights "f" key "jei.gate.{i}."` (a Linear over 4 uncertainty features). */
  readonly gates?: PolicyModule;
  readonly threshold?: Typed<number>;
}

export type ConfidenceMeasure = 'maxprob' | 'margin' | 'entropy';

export interface MambaPolicy extends PolicyBase {
  readonly name: 'mamba';
  readonly head?: PolicyModule;
  readonly confidence?: Typed<ConfidenceMeasure>;
  readonly threshold?: Typed<number>;
}

/** CALM's learned confidence: a Linear(H → 2) on the exit's hidden state; confidence = softmax(·)[1]. */
export interface LearnedPolicy extends PolicyBase {
  readonly name: 'learned';
  /**
   * `classifier: weights "f" key "conf.{i}."` (a Linear(H → 2)), or `classifier: mamba(...) weights ...`: a
   * Mamba block whose output projection gives the 2 scores (DYNAMAX's Mamba exit classifier; in a decoder step
   * it carries its own recurrent state from token to token).
   */
  readonly classifier?: PolicyModule;
  readonly threshold?: Typed<number>;
}

export interface MaxProbPolicy extends PolicyBase {
  readonly name: 'maxprob';
  readonly threshold?: Typed<number>;
}

export interface MarginPolicy extends PolicyBase {
  readonly name: 'margin';
  readonly threshold?: Typed<number>;
}

export interface EntropyPolicy extends PolicyBase {
  readonly name: 'entropy';
  readonly threshold?: Typed<number>;
  /** One threshold per exit, in exit order (instead of `threshold`). */
  readonly thresholds?: Typed<readonly number[]>;
  /** Divide the entropy by ln C (FastBERT). */
  readonly normalized?: Typed<boolean>;
}

export type PolicyDecl =
  | PabeePolicy
  | QExitPolicy
  | PonderNetPolicy
  | JeiPolicy
  | MambaPolicy
  | LearnedPolicy
  | MaxProbPolicy
  | MarginPolicy
  | EntropyPolicy;

// ---------------------------------------------------------------------------------------------------------
// Targets, SDK, calibration

export type TargetName = 'cpu' | 'cuda' | 'webgpu';
export type Precision = 'fp16' | 'fp32';
export type GraphForm = 'chain' | 'segmented';

export interface TargetDecl extends AstNode {
  readonly kind: 'Target';
  readonly name: TargetName;
  readonly nameLoc: SourceSpan;
  readonly params: readonly Param[];
  readonly precision?: Typed<Precision>;
  readonly form?: Typed<GraphForm>;
}

export type SdkRuntime = 'node' | 'web' | 'both';

export interface SdkDecl extends AstNode {
  readonly kind: 'Sdk';
  readonly params: readonly Param[];
  /** Class name of the generated SDK. */
  readonly name?: Typed<string>;
  readonly runtime?: Typed<SdkRuntime>;
}

export interface CalibrationDecl extends AstNode {
  readonly kind: 'Calibration';
  readonly params: readonly Param[];
  /** Directory of `.npy` files: one per model input (named after it) and `labels.npy`. */
  readonly dataset?: Typed<PathLiteral>;
  /** Largest accepted accuracy drop against the backbone, as a fraction (0.01 = one point). */
  readonly accuracyBudget?: Typed<number>;
}

/** How a decoder's per-token step fills the caches of the layers an exit skipped. */
/**
 * Key/value caches (Transformers): `copy`, `propagate`, `recompute`; recurrent states (Mamba): `keep`, `update`.
 */
export type CacheStrategy = 'copy' | 'propagate' | 'recompute' | 'keep' | 'update';

/** `decode { cache: copy }`: the backbone is a decoder with KV-cache inputs and outputs. */
export interface DecodeDecl extends AstNode {
  readonly kind: 'Decode';
  readonly params: readonly Param[];
  readonly cache?: Typed<CacheStrategy>;
  /** Cache input name prefix with `{i}` (0-based layer), default `past_key_values.{i}.` + `key`/`value`. */
  readonly past?: Typed<string>;
  /** Cache output name prefix, default `present.{i}.` + `key`/`value`. */
  readonly present?: Typed<string>;
}

// ---------------------------------------------------------------------------------------------------------
// After checking

/**
 * A model that passed the semantic checks: the required blocks are present and `exitLayers` is resolved
 * whenever the selection does not depend on the backbone (`every k`, `all` and `from outputs` are resolved
 * by the linker, which returns the definitive list).
 */
export interface CheckedModel extends ModelDecl {
  readonly backbone: BackboneDecl;
  readonly exits: ExitsDecl;
  readonly policy: PolicyDecl;
  /** Sorted, unique, 1-based; undefined when it needs the backbone's layer count. */
  readonly exitLayers?: readonly number[];
}
