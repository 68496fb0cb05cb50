/**
 * A minimal ONNX model writer for target tests and the op-support probe. It is deliberately separate
 * from `src/ir`: these models exercise execution providers, not the compiler, and must not change
 * when the IR does.
 */
import onnxProto, { type onnx } from 'onnx-proto';
import { type ElementType, onnxElementType } from '../../../src/targets/index.js';

// onnx-proto is CommonJS: its namespace is reachable through the default export under plain Node ESM.
const { ModelProto, AttributeProto } = onnxProto.onnx;

export type Dim = number | string;

export interface ValueSpec {
  readonly name: string;
  readonly type: ElementType;
  /** Omit for an unknown shape. */
  readonly shape?: readonly Dim[];
}

export type AttributeValue =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly graph: GraphSpec };

export interface NodeSpec {
  readonly op: string;
  readonly domain?: string;
  readonly name?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface InitializerSpec {
  readonly name: string;
  readonly type: 'float32' | 'int64' | 'bool';
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

export interface GraphSpec {
  readonly name: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly InitializerSpec[];
}

export interface ModelSpec {
  readonly graph: GraphSpec;
  readonly opset: number;
  /** Extra domains, e.g. `{ 'com.microsoft': 1 }`. */
  readonly extraOpsets?: Readonly<Record<string, number>>;
  /** Defaults to the IR version that matches `opset`. */
  readonly irVersion?: number;
}

/** IR version per opset (onnx/helper.py VERSION_TABLE): 17–18 → 8, 19–20 → 9, 21–22 → 10, 23 → 11, … */
export function irVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 9) return 4;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return opset - 12;
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType: onnxElementType(v.type) };
  if (v.shape) {
    tensorType.shape = {
      dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
    };
  }
  return { name: v.name, type: { tensorType } };
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const A = AttributeProto.AttributeType;
  if ('int' in value) return { name, type: A.INT, i: value.int };
  if ('ints' in value) return { name, type: A.INTS, ints: [...value.ints] };
  if ('float' in value) return { name, type: A.FLOAT, f: value.float };
  return { name, type: A.GRAPH, g: graphProto(value.graph) };
}

function initializer(init: InitializerSpec): onnx.ITensorProto {
  const bytes =
    init.type === 'float32'
      ? new Uint8Array(Float32Array.from(init.values).buffer)
      : init.type === 'int64'
        ? new Uint8Array(BigInt64Array.from(init.values.map((v) => BigInt(v))).buffer)
        : Uint8Array.from(init.values.map((v) => (v ? 1 : 0)));
  return { name: init.name, dataType: onnxElementType(init.type), dims: [...init.dims], rawData: bytes };
}

function graphProto(graph: GraphSpec): onnx.IGraphProto {
  return {
    name: graph.name,
    input: graph.inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
    initializer: (graph.initializers ?? []).map(initializer),
    node: graph.nodes.map((n, i) => ({
      opType: n.op,
      domain: n.domain ?? '',
      name: n.name ?? `${graph.name}/${n.op}_${i}`,
      input: [...n.inputs],
      output: [...n.outputs],
      attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
    })),
  };
}

/** Serializes a model to ONNX protobuf bytes. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const opsetImport = [{ domain: '', version: spec.opset }];
  for (const [domain, version] of Object.entries(spec.extraOpsets ?? {}))
    opsetImport.push({ domain, version });
  const model: onnx.IModelProto = {
    irVersion: spec.irVersion ?? irVersionForOpset(spec.opset),
    producerName: 'offramp-target-tests',
    opsetImport,
    graph: graphProto(spec.graph),
  };
  return ModelProto.encode(model).finish();
}
