/**
 * Builds ONNX models from policy-op code through `OnnxOps` (the lowering the compiler uses), and runs them in
 * onnxruntime-node. Values are plain `{ name, dtype }` handles; tensors fed in become graph inputs.
 */
import onnxProto, { type onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import {
  type DType,
  type IntAttributes,
  type NumTensor,
  ONNX_ELEMENT_TYPE,
  type OnnxEmitter,
  OnnxOps,
  tensor,
} from '../../../src/policies/index.js';

// onnx-proto is CommonJS: its namespace arrives on the default export under ESM.
const { ModelProto, AttributeProto } = onnxProto.onnx;

export interface Handle {
  readonly name: string;
  readonly dtype: DType;
}

function rawBytes(dtype: DType, values: ArrayLike<number>): Uint8Array {
  switch (dtype) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'int64':
      return new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

function ortTensor(t: NumTensor): ort.Tensor {
  const dims = [...t.shape];
  switch (t.dtype) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(t.data), dims);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(t.data), dims);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(Array.from(t.data, (v) => BigInt(v))), dims);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(t.data), dims);
  }
}

function fromOrt(t: ort.Tensor, dtype: DType): NumTensor {
  const values =
    dtype === 'int64'
      ? Array.from(t.data as BigInt64Array, Number)
      : Array.from(t.data as ArrayLike<number>, Number);
  return tensor(dtype, t.dims, values);
}

/** Records nodes, initializers and inputs while policy code runs through `OnnxOps`. */
export class ModelEmitter implements OnnxEmitter<Handle> {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly inputs: { handle: Handle; value: NumTensor }[] = [];
  private counter = 0;

  constructor(
    private readonly sources: {
      parameter?: (name: string, exitIndex?: number) => NumTensor;
      weight?: (key: string) => NumTensor;
      uniform?: (exitIndex: number) => NumTensor;
    } = {},
  ) {}

  private fresh(stem: string): string {
    return `${stem}_${this.counter++}`;
  }

  /** A graph input fed with `value`. */
  input(value: NumTensor): Handle {
    const handle = { name: this.fresh('input'), dtype: value.dtype };
    this.inputs.push({ handle, value });
    return handle;
  }

  node(
    opType: string,
    inputs: readonly Handle[],
    attributes: IntAttributes,
    outputTypes: readonly DType[],
  ): Handle[] {
    const outputs = outputTypes.map((dtype) => ({ name: this.fresh(opType), dtype }));
    const A = AttributeProto.AttributeType;
    this.nodes.push({
      opType,
      name: this.fresh(`${opType}_node`),
      input: inputs.map((i) => i.name),
      output: outputs.map((o) => o.name),
      attribute: Object.entries(attributes).map(([name, v]) =>
        typeof v === 'number' ? { name, type: A.INT, i: v } : { name, type: A.INTS, ints: [...v] },
      ),
    });
    return outputs;
  }
  constant(values: readonly number[], shape: readonly number[], dtype: DType): Handle {
    const name = this.fresh('const');
    this.initializers.push({
      name,
      dataType: ONNX_ELEMENT_TYPE[dtype],
      dims: [...shape],
      rawData: rawBytes(dtype, values),
    });
    return { name, dtype };
  }
  parameter(name: string, exitIndex?: number): Handle {
    if (!this.sources.parameter) throw new Error(`no parameter source for '${name}'`);
    return this.input(this.sources.parameter(name, exitIndex));
  }
  weight(key: string): Handle {
    if (!this.sources.weight) throw new Error(`no weight source for '${key}'`);
    const t = this.sources.weight(key);
    return this.constant(Array.from(t.data), t.shape, t.dtype);
  }
  uniform(exitIndex: number): Handle {
    if (!this.sources.uniform) throw new Error('no uniform source');
    return this.input(this.sources.uniform(exitIndex));
  }
  dtypeOf(value: Handle): DType {
    return value.dtype;
  }

  /** Serialises the recorded graph with `outputs` as its outputs (opset 17, IR 8). */
  model(outputs: readonly Handle[]): Uint8Array {
    const valueInfo = (h: Handle): onnx.IValueInfoProto => ({
      name: h.name,
      type: { tensorType: { elemType: ONNX_ELEMENT_TYPE[h.dtype] } },
    });
    const proto: onnx.IModelProto = {
      irVersion: 8,
      producerName: 'offramp-policy-tests',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'policy_ops',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map((i) => valueInfo(i.handle)),
        output: outputs.map(valueInfo),
      },
    };
    return ModelProto.encode(proto).finish();
  }
}

/**
 * Runs `build` once through `OnnxOps` into a model that onnxruntime executes on `inputs`, and returns
 * onnxruntime's outputs.
 */
export async function runInOrt(
  inputs: readonly NumTensor[],
  build: (ops: OnnxOps<Handle>, inputs: Handle[]) => readonly Handle[],
  emitter = new ModelEmitter(),
): Promise<NumTensor[]> {
  const handles = inputs.map((t) => emitter.input(t));
  const outputs = build(new OnnxOps(emitter), handles);
  // Severity 3: unused initial-state constants (e.g. PABEE's `previous` at the first exit) are not news.
  const session = await ort.InferenceSession.create(emitter.model(outputs), { logSeverityLevel: 3 });
  const feeds = Object.fromEntries(emitter.inputs.map((i) => [i.handle.name, ortTensor(i.value)]));
  const result = await session.run(feeds);
  await session.release();
  return outputs.map((o) => fromOrt(result[o.name]!, o.dtype));
}
