/**
 * The compiled artifact's manifest: the contract between the compiler, the runtime and the generated SDK.
 * Bump `formatVersion` on any incompatible change.
 */
export const MANIFEST_FORMAT_VERSION = 1;

export type ElementType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'bool';

export interface TensorSpec {
  readonly name: string;
  readonly elementType: ElementType;
  /** Dimensions: numbers are fixed, strings are symbolic (e.g. `batch`). */
  readonly shape: readonly (number | string)[];
}

/** A policy parameter that the compiled model takes as a graph input with a default. */
export interface ParameterSpec {
  readonly name: string;
  /** The graph input that carries it. */
  readonly input: string;
  readonly elementType: ElementType;
  readonly default: number | readonly number[];
  readonly description: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly integer?: boolean;
}

/** How the runtime wires one model of the segmented form. */
export interface SegmentSpec {
  readonly model: string;
  readonly exitLayer: number;
  readonly inputs: readonly string[];
  /** Batch-major values later segments read (compacted with the batch). */
  readonly outputs: readonly string[];
  readonly carried: {
    readonly exited: string;
    readonly logits: string;
    readonly layer: string;
    readonly confidence: string;
  };
}

export interface ArtifactTarget {
  readonly target: 'cpu' | 'cuda' | 'webgpu';
  readonly form: 'chain' | 'segmented';
  readonly precision: 'fp32' | 'fp16';
  /** Model files relative to the artifact directory; one for `chain`, one per segment for `segmented`. */
  readonly models: readonly string[];
  /** Segmented form: the wiring of each segment model, in order. */
  readonly segments?: readonly SegmentSpec[];
  readonly executionProviders: readonly string[];
  /**
   * onnxruntime session options the expected placement holds for, from the target's profile (cuda and
   * webgpu: `{ extra: { session: { disable_cpu_ep_fallback: '1' } } }`, so a node off the device fails the
   * load instead of running on the CPU). The runtime does not apply them by itself: pass
   * `LoadOptions.sessionConfig` to.
   */
  readonly sessionOptions: Readonly<Record<string, unknown>>;
  /**
   * The element type of every graph input of this target's model(s), by name (data inputs, parameters,
   * caches, and for the segmented form the values segments hand on). It can differ from the types the
   * manifest states for callers (`inputs`, parameters): WebGPU's model takes int64 ids and parameters as
   * int32. Callers keep passing the manifest's types; the runtime and the SDK convert to these.
   */
  readonly feedTypes?: Readonly<Record<string, ElementType>>;
  /** The element type of every graph output of this target's model(s), by name. */
  readonly outputTypes?: Readonly<Record<string, ElementType>>;
  /** Expected placement: `all-on-device`, or the nodes the compiler knows will run elsewhere. */
  readonly placement: { readonly allOnDevice: boolean; readonly hostNodes: readonly string[] };
}

/** A decoder's per-token step: how the runtime feeds it and carries its caches from step to step. */
export interface DecoderSpec {
  /**
   * How the caches of skipped layers were filled in the graph: key/value caches `copy` | `propagate` |
   * `recompute`; recurrent states (Mamba) `keep` | `update`.
   */
  readonly cache: 'copy' | 'propagate' | 'recompute' | 'keep' | 'update';
  /** The token-id input [batch, sequence]. */
  readonly idsInput: string;
  /** An attention-mask input [batch, past + sequence], when the export has one (the runtime feeds ones). */
  readonly attentionMask?: string;
  /** The bool scalar that disables exits (the prompt's prefill). */
  readonly fullDepthInput: string;
  /** Per layer and per key/value: the past input, the present output that feeds it next step, its shape. */
  readonly caches: readonly {
    readonly past: string;
    readonly present: string;
    readonly shape: readonly (number | string)[];
  }[];
  /**
   * `recompute` only: per layer after the first, the input hidden states of the tokens whose keys/values
   * that layer has not computed yet (`input` [batch, pending, hidden]; empty at the prefill), fed each step
   * from the step before's `output`, like the caches. Every sample of a batch has the same pending count.
   */
  readonly pending?: readonly {
    /** 1-based layer whose pending inputs these are. */
    readonly layer: number;
    readonly input: string;
    readonly output: string;
    readonly shape: readonly (number | string)[];
  }[];
  /** Positions the model can attend to (its position table), when the compiler could tell. */
  readonly context?: number;
}

export interface Manifest {
  readonly formatVersion: number;
  readonly compiler: string;
  readonly name: string;
  readonly policy: {
    readonly kind: string;
    readonly parameters: readonly ParameterSpec[];
    readonly minExit: number;
    /** PonderNet: the graph input taking uniform numbers [batch, exits]; the runtime draws them when not given. */
    readonly uniformsInput?: string;
  };
  readonly layers: number;
  /** 1-based layers after which an exit can fire; the last entry is always `layers`. */
  readonly exits: readonly number[];
  readonly inputs: readonly TensorSpec[];
  readonly outputs: {
    readonly logits: TensorSpec;
    readonly exitLayer: TensorSpec;
    readonly confidence: TensorSpec;
  };
  readonly classes?: readonly string[];
  readonly targets: readonly ArtifactTarget[];
  /** sha256 of every input the artifact was built from, for reproducibility. */
  readonly sources: Readonly<Record<string, string>>;
  /** Present when the model is a decoder's per-token step (`decode` block). */
  readonly decoder?: DecoderSpec;
}
