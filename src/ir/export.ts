import type { AttributeValue, Graph, Model, Node } from './graph.js';
import { type onnx, protos, tensorTypeToProto, valueInfo } from './onnx-types.js';

const A = protos.AttributeProto.AttributeType;

function exportAttribute(name: string, a: AttributeValue): onnx.IAttributeProto {
  switch (a.kind) {
    case 'float':
      return { name, type: A.FLOAT, f: a.value };
    case 'int':
      return { name, type: A.INT, i: Number(a.value) };
    case 'string':
      return { name, type: A.STRING, s: new TextEncoder().encode(a.value) };
    case 'floats':
      return { name, type: A.FLOATS, floats: [...a.value] };
    case 'ints':
      return { name, type: A.INTS, ints: a.value.map(Number) };
    case 'strings':
      return { name, type: A.STRINGS, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'tensor':
      return { name, type: A.TENSOR, t: a.value };
    case 'graph':
      return { name, type: A.GRAPH, g: exportGraph(a.value) };
    case 'raw':
      return a.value;
  }
}

function exportNode(node: Node): onnx.INodeProto {
  return {
    input: node.inputs.map((v) => v?.name ?? ''),
    output: node.outputs.map((v) => v.name),
    ...(node.name ? { name: node.name } : {}),
    opType: node.op,
    ...(node.domain ? { domain: node.domain } : {}),
    attribute: [...node.attributes].map(([name, a]) => exportAttribute(name, a)),
    ...node.extra,
  };
}

export function exportGraph(graph: Graph): onnx.IGraphProto {
  const initializer = [...graph.initializers.values()].map((init) => ({
    ...init.tensor,
    name: init.value.name,
  }));
  return {
    node: graph.nodes.map(exportNode),
    name: graph.name,
    initializer,
    input: graph.inputs.map((v) => {
      const type = tensorTypeToProto(v.type);
      return type ? { name: v.name, type } : { name: v.name };
    }),
    output: graph.outputs.map((v) => valueInfo(v.name, v.type)),
    valueInfo: [...graph.valueInfo.values()],
    ...graph.extra,
  };
}

export function exportModelProto(model: Model): onnx.IModelProto {
  return {
    irVersion: model.irVersion,
    opsetImport: model.opsetImports.map((o) =>
      o.domain ? { domain: o.domain, version: o.version } : { version: o.version },
    ),
    ...Object.fromEntries(Object.entries(model.extra).filter(([, v]) => v !== undefined && v !== null)),
    graph: exportGraph(model.graph),
  };
}

/** Encodes the model; identical IR gives identical bytes (field order and maps are deterministic). */
export function writeModel(model: Model): Uint8Array {
  return protos.ModelProto.encode(exportModelProto(model)).finish();
}
