import { Builder, type Value } from '../ir/index.js';
import {
  type DType,
  type IntAttributes,
  ONNX_ELEMENT_TYPE,
  type OnnxEmitter,
  OnnxOps,
  type PolicyOps,
} from '../policies/index.js';

const DTYPE_OF = new Map<number, DType>(Object.entries(ONNX_ELEMENT_TYPE).map(([k, v]) => [v, k as DType]));

export interface GraphOpsContext {
  /** Graph input carrying a policy parameter (created once per model by the caller). */
  readonly parameter: (name: string) => Value;
  /** Whether the parameter holds one value per exit (a [exits] vector input). */
  readonly perExit: (name: string) => boolean;
  /** Initializer for a policy weight key, `{i}` already resolved. */
  readonly weight: (key: string) => Value;
  /** The uniform-numbers input [B, exits] (PonderNet), when the policy reads one. */
  readonly uniforms?: Value;
}

function typed(value: Value, dtype: DType): Value {
  value.type = {
    elementType: ONNX_ELEMENT_TYPE[dtype],
    ...(value.type?.shape ? { shape: value.type.shape } : {}),
  };
  return value;
}

/**
 * Emits the policies' ONNX lowering (`OnnxOps`, which states which operator each policy op becomes) into
 * Offramp's IR through a builder, annotating every value with its element type.
 */
class IrEmitter implements OnnxEmitter<Value> {
  constructor(
    private readonly builder: Builder,
    private readonly context: GraphOpsContext,
    private readonly prefix: string,
  ) {}

  node(
    opType: string,
    inputs: readonly Value[],
    attributes: IntAttributes,
    outputTypes: readonly DType[],
  ): Value[] {
    const outputs = this.builder.add({
      op: opType,
      inputs,
      attributes: Object.fromEntries(
        Object.entries(attributes).map(([k, v]) => [k, typeof v === 'number' ? v : [...v]]),
      ),
      outputs: outputTypes.length,
      name: `${this.prefix}/${opType}`,
    });
    return outputs.map((v, k) => typed(v, outputTypes[k]!));
  }

  constant(values: readonly number[], shape: readonly number[], dtype: DType): Value {
    const base = `${this.prefix}/const`;
    const value =
      dtype === 'float32'
        ? this.builder.constant(base, Float32Array.from(values), shape)
        : dtype === 'float64'
          ? this.builder.constant(base, Float64Array.from(values), shape)
          : dtype === 'int64'
            ? this.builder.constant(base, BigInt64Array.from(values.map((v) => BigInt(v))), shape)
            : this.builder.constant(base, Uint8Array.from(values), shape, { bool: true });
    return typed(value, dtype);
  }

  parameter(name: string, exitIndex?: number): Value {
    const input = this.context.parameter(name);
    if (!this.context.perExit(name)) return input;
    // A per-exit parameter is a [exits] vector; Gather with a scalar index picks this exit's element.
    const index = this.constant([exitIndex ?? 0], [], 'int64');
    return this.node('Gather', [input, index], { axis: 0 }, [this.dtypeOf(input)])[0]!;
  }

  weight(key: string): Value {
    return typed(this.context.weight(key), 'float32');
  }

  uniform(exitIndex: number): Value {
    const uniforms = this.context.uniforms;
    if (!uniforms) throw new Error('this policy reads uniform numbers, but the compiler supplied none');
    return this.node('Gather', [uniforms, this.constant([exitIndex], [], 'int64')], { axis: 1 }, [
      'float32',
    ])[0]!;
  }

  dtypeOf(value: Value): DType {
    return DTYPE_OF.get(value.type?.elementType ?? ONNX_ELEMENT_TYPE.float32) ?? 'float32';
  }
}

/** The graph interpretation of the policy op set, emitting into `builder`'s graph. */
export function graphOps(builder: Builder, context: GraphOpsContext, prefix: string): PolicyOps<Value> {
  return new OnnxOps(new IrEmitter(builder, context, prefix));
}

export { Builder };
