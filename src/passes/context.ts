import type { Diagnostic } from '../diagnostics/index.js';
import type { Builder, Layer, Value } from '../ir/index.js';
import type { Carried } from '../policies/index.js';
import type { CompilePlan } from './plan.js';

/** One exit as the passes build it up. */
export interface ExitRecord {
  /** 1-based backbone layer. */
  readonly layer: number;
  logits: Value;
  pooled?: Value;
  /** Confidence scores [B, 2] of the learned policy's Mamba classifier (set by insert-exit-heads). */
  scores?: Value;
  /**
   * In a decoder step, the Mamba classifier's own recurrent state: what it read (the exit layer's hidden
   * states), its state inputs and its next states (graph outputs). For the skipped-state pass.
   */
  classifierState?: {
    readonly input: Value;
    readonly past: { readonly conv: Value; readonly ssm: Value };
    readonly present: { readonly conv: Value; readonly ssm: Value };
  };
  /** The driver's carried values after this exit (set by insert-policy). */
  carried?: Carried<Value>;
  /**
   * More values this exit's segment hands on (set by fill-skipped-caches: a decoder's present caches and
   * what later exits copy into skipped layers), each with what stands in for it when the whole batch has
   * exited before the segment. `before` maps a value of an earlier segment to what carries it now.
   */
  extras?: { readonly value: Value; whenSkipped(b: Builder, before: (v: Value) => Value): Value }[];
}

/** State the compiler's passes hand each other, beside the model itself. */
export interface CompileContext {
  readonly plan: CompilePlan;
  readonly file: string;
  readonly diagnostics: Diagnostic[];
  layers?: readonly Layer[];
  exits: ExitRecord[];
  /** Graph inputs created for policy parameters, by parameter name. */
  readonly parameterInputs: Map<string, Value>;
  /** Reads float32 tensors from safetensors files (cached). */
  readonly weights: WeightSource;
  /** Counters each pass reports (e.g. nodes moved into branches). */
  readonly statistics: Record<string, number>;
}

export interface WeightSource {
  /** The tensor's values and shape, or undefined when the file has no such key. */
  get(
    file: string,
    key: string,
  ): { readonly data: Float32Array; readonly shape: readonly number[] } | undefined;
}
