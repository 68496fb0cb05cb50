import type { PolicyKind } from '../policies/index.js';

/** How an exit's head is built from the layer's hidden state [B, T, H]. */
export type HeadPlan =
  | {
      readonly kind: 'weights';
      /** Token pooling before the head. */
      readonly pool: 'cls' | 'mean' | 'last';
      /** BERT-style pooler (Linear + tanh), shared by all exits; key prefix, e.g. `pabee.pooler.`. */
      readonly pooler?: string;
      /** Linear classifier key prefix; `{i}` (0-based module index) makes it per exit. */
      readonly classifier: string;
      readonly weightsFile: string;
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
}
