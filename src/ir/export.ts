import protobuf from 'protobufjs';
import type { AttributeValue, Graph, Initializer, Model, Node } from './graph.js';
import { encodingModelProto } from './onnx-schema.js';
import { type onnx, protos, tensorTypeToProto, valueInfo } from './onnx-types.js';

/** How an initializer's TensorProto is emitted (e.g. moved into a side file); default: as imported. */
export type TensorEmitter = (init: Initializer) => onnx.ITensorProto;

const asImported: TensorEmitter = (init) => init.tensor;

const A = protos.AttributeProto.AttributeType;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An int64 for protobufjs: a number when exact, else a Long (so 2^63 - 1 survives). */
function int64(value: bigint): number | protobuf.Long {
  if (value <= SAFE && value >= -SAFE) return Number(value);
  // protobufjs writes int64 fields from its Long (the `long` package), whose typing it leaves generic.
  const Long = protobuf.util.Long as unknown as { fromString(text: string): protobuf.Long };
  return Long.fromString(value.toString());
}

function exportAttribute(name: string, a: AttributeValue, emit: TensorEmitter): onnx.IAttributeProto {
  switch (a.kind) {
    case 'float':
      return { name, type: A.FLOAT, f: a.value };
    case 'int':
      return { name, type: A.INT, i: int64(a.value) };
    case 'string':
      return { name, type: A.STRING, s: new TextEncoder().encode(a.value) };
    case 'floats':
      return { name, type: A.FLOATS, floats: [...a.value] };
    case 'ints':
      return { name, type: A.INTS, ints: a.value.map(int64) };
    case 'strings':
      return { name, type: A.STRINGS, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'tensor':
      return { name, type: A.TENSOR, t: a.value };
    case 'graph':
      return { name, type: A.GRAPH, g: exportGraph(a.value, emit) };
    case 'raw':
      return a.value;
  }
}

function exportNode(node: Node, emit: TensorEmitter): onnx.INodeProto {
  return {
    input: node.inputs.map((v) => v?.name ?? ''),
    output: node.outputs.map((v) => v.name),
    ...(node.name || node.statedEmpty.has('name') ? { name: node.name } : {}),
    opType: node.op,
    ...(node.domain || node.statedEmpty.has('domain') ? { domain: node.domain } : {}),
    attribute: [...node.attributes].map(([name, a]) => exportAttribute(name, a, emit)),
    ...node.extra,
  };
}

export function exportGraph(graph: Graph, emit: TensorEmitter = asImported): onnx.IGraphProto {
  const initializer = [...graph.initializers.values()].map((init) => ({
    ...emit(init),
    name: init.value.name,
  }));
  return {
    node: graph.nodes.map((n) => exportNode(n, emit)),
    name: graph.name,
    initializer,
    input: graph.inputs.map((v) => {
      const type = tensorTypeToProto(v.type);
      return { ...(type ? { name: v.name, type } : { name: v.name }), ...v.extra };
    }),
    output: graph.outputs.map((v) => ({ ...valueInfo(v.name, v.type), ...v.extra })),
    valueInfo: [...graph.valueInfo.values()],
    ...graph.extra,
  };
}

export function exportModelProto(model: Model, emit: TensorEmitter = asImported): onnx.IModelProto {
  return {
    irVersion: model.irVersion,
    opsetImport: model.opsetImports.map((o) =>
      o.domain ? { domain: o.domain, version: o.version } : { version: o.version },
    ),
    ...Object.fromEntries(Object.entries(model.extra).filter(([, v]) => v !== undefined && v !== null)),
    graph: exportGraph(model.graph, emit),
  };
}

/** Encodes a ModelProto with the current ONNX schema (fields newer than onnx-proto's included). */
export function encodeModelProto(proto: onnx.IModelProto): Uint8Array {
  return encodingModelProto.encode(proto as Record<string, unknown>).finish();
}

/** protobufjs 6's queued write operation (its writer's internal list, stable since 6.0). */
interface QueuedOp {
  fn(value: unknown, buf: Uint8Array, pos: number): void;
  len: number;
  val: unknown;
  next: QueuedOp | undefined;
}

/** Byte strings at least this long go from the model's own buffers straight to the file. */
const DIRECT = 1 << 16;

/**
 * Encodes a ModelProto straight into a file descriptor, never holding the whole encoding in memory:
 * small fields are gathered into a chunk, and weight bytes (raw_data) are written from the buffers they
 * already live in (e.g. the imported file). Gives the same bytes as `encodeModelProto`.
 */
export function encodeModelProtoTo(proto: onnx.IModelProto, write: (bytes: Uint8Array) => void): number {
  const writer = encodingModelProto.encode(proto as Record<string, unknown>) as unknown as {
    head: QueuedOp;
    len: number;
  };
  const chunk = Buffer.allocUnsafe(1 << 20);
  let used = 0;
  const flush = () => {
    if (used > 0) write(chunk.subarray(0, used));
    used = 0;
  };
  for (let op = writer.head.next; op; op = op.next) {
    if (op.len >= DIRECT && op.val instanceof Uint8Array && op.val.length === op.len) {
      flush();
      write(op.val);
      continue;
    }
    if (op.len > chunk.length - used) flush();
    if (op.len > chunk.length) {
      const own = Buffer.allocUnsafe(op.len);
      op.fn(op.val, own, 0);
      write(own);
      continue;
    }
    op.fn(op.val, chunk, used);
    used += op.len;
  }
  flush();
  return writer.len;
}

/**
 * Encodes the model; identical IR gives identical bytes (field order and maps are deterministic).
 * External tensors keep their `location` as imported, so the bytes belong beside the original model;
 * `saveModel` rewrites or moves them for another directory.
 */
export function writeModel(model: Model): Uint8Array {
  return encodeModelProto(exportModelProto(model));
}
