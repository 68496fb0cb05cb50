import type { PolicyKind, PolicyOptions } from '../policies/index.js';

/** The classifier on top of the (pooled) hidden state; `key` is its weight-key prefix with `{i}` = 0-based layer. */
export type ClassifierPlan =
  | { readonly kind: 'linear'; readonly key: string }
  | {
      /** `blocks` hidden Linear + activation blocks (`hidden.{k}.`), then `out.` to the classes. */
      readonly kind: 'mlp';
      readonly key: string;
      readonly blocks: number;
      readonly activation: 'tanh' | 'relu' | 'gelu' | 'sigmoid';
    }
  | {
      /** A Mamba mixer over the layer's whole sequence, read at the last position (DYNAMAX). */
      readonly kind: 'mamba';
      readonly key: string;
    }
  | {
      /** The backbone's own output projection (a decoder's LM head), found in the graph and shared. */
      readonly kind: 'lm_head';
    };

/** How an exit's head is built from the layer's hidden state [B, T, H]. */
export type HeadPlan =
  | {
      readonly kind: 'weights';
      /** Token pooling before the head; `none` hands the whole sequence to a sequence head (Mamba). */
      readonly pool: 'cls' | 'mean' | 'last' | 'none';
      /** BERT-style pooler (Linear + tanh), shared by all exits; key prefix, e.g. `pabee.pooler.`. */
      readonly pooler?: string;
      /** A norm before the classifier (a decoder's per-exit LayerNorm/RMSNorm); key prefix with `{i}`. */
      readonly norm?: { readonly kind: 'layernorm' | 'rmsnorm'; readonly key: string };
      readonly classifier: ClassifierPlan;
      /** Undefined only when no part reads weights (`head lm_head`). */
      readonly weightsFile?: string;
    }
  | {
      /** Heads already in the graph: the all-exits export's per-layer outputs, e.g. `exit_logits.{i}`. */
      readonly kind: 'outputs';
      readonly outputTemplate: string;
    };

export interface PolicyPlan {
  readonly kind: PolicyKind;
  /** Defaults for the run-time parameters (graph inputs). */
  /** One number, or one per exit for per-exit parameters (DeeBERT's entropy thresholds). */
  readonly parameters: Readonly<Record<string, number | readonly number[]>>;
  /** Key template of the policy's learned part (`palbert.lambda.`, `jei.gate.{i}.`) and its file. */
  readonly weightsPrefix?: string;
  readonly weightsFile?: string;
  readonly lambdaBlocks?: number;
  readonly normalizedEntropy?: boolean;
  /** Learned policy: the confidence classifier is a Linear(H → 2) (default) or a Mamba block. */
  readonly classifier?: 'linear' | 'mamba';
  /** Mamba policy: how the head's logits become a confidence. */
  readonly measure?: 'maxprob' | 'margin' | 'entropy';
}

/** A decoder backbone compiled to its per-token step: cache names and how skipped layers' caches are filled. */
export interface DecoderPlan {
  /** KV caches: copy | propagate | recompute; recurrent (Mamba) states: keep | update. */
  readonly cache: 'copy' | 'propagate' | 'recompute' | 'keep' | 'update';
  /** Cache input/output name prefixes with `{i}` (0-based layer), followed by `key` / `value`. */
  readonly past: string;
  readonly present: string;
}

/** Everything the passes need, lowered from a checked and linked `.ramp` file. */
export interface CompilePlan {
  readonly name: string;
  readonly backbone: string;
  /** Layer name pattern with `{i}`; undefined = discover automatically. */
  readonly layerPattern?: string;
  /** 1-based layers with an exit, ascending. */
  readonly exits: readonly number[];
  readonly head: HeadPlan;
  readonly policy: PolicyPlan;
  readonly minExit: number;
  /** Graph input holding the attention mask (mean pooling). */
  readonly attentionMask?: string;
  readonly decoder?: DecoderPlan;
}

/** The compile-time options a policy's specification reads, from its plan (one place for compiler and calibration). */
export function policyOptionsOf(policy: PolicyPlan): PolicyOptions {
  return {
    ...(policy.lambdaBlocks !== undefined ? { lambdaBlocks: policy.lambdaBlocks } : {}),
    ...(policy.normalizedEntropy !== undefined ? { normalizedEntropy: policy.normalizedEntropy } : {}),
    ...(policy.measure !== undefined ? { measure: policy.measure } : {}),
  };
}
