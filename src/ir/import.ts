import { readFile } from 'node:fs/promises';
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { type AttributeValue, Graph, Model, Node, Value } from './graph.js';
import { type onnx, protos, tensorTypeFromProto } from './onnx-types.js';

const A = protos.AttributeProto.AttributeType;

/** Name resolution across nested scopes: subgraphs see their ancestors' values. */
class Scope {
  private readonly names = new Map<string, Value>();
  constructor(readonly parent: Scope | undefined) {}
  define(value: Value): boolean {
    if (this.lookup(value.name)) return false;
    this.names.set(value.name, value);
    return true;
  }
  lookup(name: string): Value | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }
}

function toBigInt(v: number | { toString(): string } | null | undefined): bigint {
  return v === null || v === undefined ? 0n : BigInt(v.toString());
}

interface ImportContext {
  readonly file: string;
  readonly diagnostics: Diagnostic[];
}

function importAttribute(
  a: onnx.IAttributeProto,
  owner: Node,
  scope: Scope,
  ctx: ImportContext,
): AttributeValue {
  switch (a.type) {
    case A.FLOAT:
      return { kind: 'float', value: a.f ?? 0 };
    case A.INT:
      return { kind: 'int', value: toBigInt(a.i) };
    case A.STRING:
      return { kind: 'string', value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case A.FLOATS:
      return { kind: 'floats', value: [...(a.floats ?? [])] };
    case A.INTS:
      return { kind: 'ints', value: (a.ints ?? []).map(toBigInt) };
    case A.STRINGS:
      return { kind: 'strings', value: (a.strings ?? []).map((s) => new TextDecoder().decode(s)) };
    case A.TENSOR:
      return { kind: 'tensor', value: a.t ?? {} };
    case A.GRAPH:
      return { kind: 'graph', value: importGraph(a.g ?? {}, owner, new Scope(scope), ctx) };
    default:
      return { kind: 'raw', value: a };
  }
}

function importGraph(
  proto: onnx.IGraphProto,
  owner: Node | undefined,
  scope: Scope,
  ctx: ImportContext,
): Graph {
  const graph = new Graph(proto.name ?? '', owner);
  const define = (value: Value, node?: string) => {
    if (!scope.define(value)) {
      ctx.diagnostics.push(
        diagnostic(
          'OR4003',
          { name: value.name },
          { graph: { file: ctx.file, tensor: value.name, ...(node ? { node } : {}) } },
        ),
      );
    }
  };
  for (const info of proto.valueInfo ?? []) graph.valueInfo.set(info.name ?? '', info);
  for (const input of proto.input ?? []) {
    const value = new Value(input.name ?? '', tensorTypeFromProto(input.type), graph);
    graph.inputs.push(value);
    define(value);
  }
  for (const tensor of proto.initializer ?? []) {
    const name = tensor.name ?? '';
    let value = graph.inputs.find((v) => v.name === name);
    if (!value) {
      value = new Value(
        name,
        { elementType: tensor.dataType ?? 0, shape: (tensor.dims ?? []).map(Number) },
        graph,
      );
      define(value);
    }
    graph.initializers.set(name, { value, tensor });
  }
  for (const n of proto.node ?? []) {
    const node = new Node(n.opType ?? '', n.domain ?? '', n.name ?? '', [], [], graph);
    for (const inputName of n.input ?? []) {
      if (inputName === '') {
        node.inputs.push(undefined);
        continue;
      }
      const value = scope.lookup(inputName);
      if (!value) {
        ctx.diagnostics.push(
          diagnostic(
            'OR4002',
            { name: inputName, node: node.name || node.op },
            {
              graph: { file: ctx.file, node: node.name, tensor: inputName },
            },
          ),
        );
        node.inputs.push(undefined);
        continue;
      }
      node.inputs.push(value);
      value.uses.add(node);
    }
    for (const a of n.attribute ?? [])
      node.attributes.set(a.name ?? '', importAttribute(a, node, scope, ctx));
    for (const outputName of n.output ?? []) {
      const info = graph.valueInfo.get(outputName);
      const value = new Value(outputName, tensorTypeFromProto(info?.type), graph);
      value.producer = node;
      node.outputs.push(value);
      if (outputName !== '') define(value, node.name);
    }
    if (Object.hasOwn(n, 'docString')) node.extra.docString = n.docString;
    graph.nodes.push(node);
  }
  for (const output of proto.output ?? []) {
    const value = scope.lookup(output.name ?? '');
    if (!value) {
      ctx.diagnostics.push(
        diagnostic(
          'OR4002',
          { name: output.name ?? '', node: '(graph output)' },
          {
            graph: { file: ctx.file, tensor: output.name ?? '' },
          },
        ),
      );
      continue;
    }
    const declared = tensorTypeFromProto(output.type);
    if (declared) value.type = declared;
    graph.outputs.push(value);
  }
  if (proto.docString) graph.extra.docString = proto.docString;
  if (proto.sparseInitializer?.length) graph.extra.sparseInitializer = proto.sparseInitializer;
  if (proto.quantizationAnnotation?.length) graph.extra.quantizationAnnotation = proto.quantizationAnnotation;
  return graph;
}

/** The fields the file actually carries (protobufjs puts defaults on the prototype, not on the message). */
function keptFields(message: object, names: readonly string[]): Partial<onnx.IModelProto> {
  const out: Record<string, unknown> = {};
  for (const name of names)
    if (Object.hasOwn(message, name)) out[name] = (message as Record<string, unknown>)[name];
  return out as Partial<onnx.IModelProto>;
}

/** Decodes ONNX bytes into the IR. Malformed input yields diagnostics, never an exception. */
export function importModel(
  bytes: Uint8Array,
  file = '<memory>',
): { model?: Model; diagnostics: Diagnostic[] } {
  const ctx: ImportContext = { file, diagnostics: [] };
  let proto: onnx.ModelProto;
  try {
    if (bytes.length === 0) throw new Error('the file is empty');
    proto = protos.ModelProto.decode(bytes);
  } catch (error) {
    return {
      diagnostics: [diagnostic('OR4001', { file, reason: (error as Error).message }, { graph: { file } })],
    };
  }
  if (!proto.graph) {
    return { diagnostics: [diagnostic('OR4001', { file, reason: 'it has no graph' }, { graph: { file } })] };
  }
  const ir = Number(proto.irVersion ?? 0);
  if (ir < 3 || ir > 11) {
    return { diagnostics: [diagnostic('OR4004', { file, version: ir }, { graph: { file } })] };
  }
  const graph = importGraph(proto.graph, undefined, new Scope(undefined), ctx);
  const model = new Model(
    graph,
    (proto.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: Number(o.version ?? 0) })),
    ir,
    keptFields(proto, [
      'producerName',
      'producerVersion',
      'domain',
      'modelVersion',
      'docString',
      'metadataProps',
      'functions',
      'trainingInfo',
    ]),
  );
  return { model, diagnostics: ctx.diagnostics };
}

export async function readModel(path: string): Promise<{ model?: Model; diagnostics: Diagnostic[] }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return {
      diagnostics: [
        diagnostic('OR4001', { file: path, reason: (error as Error).message }, { graph: { file: path } }),
      ],
    };
  }
  return importModel(bytes, path);
}
