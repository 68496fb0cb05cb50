import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { isExternal, locateExternal } from './external-data.js';
import { type AttributeValue, Graph, Model, Node, type ProtoFields, Value } from './graph.js';
import { currentOnnx } from './onnx-schema.js';
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
  readonly baseDir: string;
  readonly diagnostics: Diagnostic[];
}

/** The message's fields present in the file, except those the IR interprets itself. */
function uninterpreted<T extends object>(message: T, interpreted: readonly string[]): ProtoFields<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (interpreted.includes(key) || value === undefined || value === null) continue;
    // Reflected messages carry every repeated field as an own (often empty) array.
    if (!Array.isArray(value) || value.length > 0) out[key] = value;
  }
  return out as ProtoFields<T>;
}

/** Attribute fields beside name, type and the value; an attribute carrying any stays verbatim. */
const ATTRIBUTE_ANNOTATIONS = ['docString', 'refAttrName'];

function importAttribute(
  a: onnx.IAttributeProto,
  owner: Node,
  scope: Scope,
  ctx: ImportContext,
): AttributeValue {
  if (ATTRIBUTE_ANNOTATIONS.some((key) => Object.hasOwn(a, key))) return { kind: 'raw', value: a };
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
    value.extra = uninterpreted(input, ['name', 'type']);
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
    if (isExternal(tensor)) {
      const found = locateExternal(tensor, ctx.baseDir);
      if ('problem' in found) {
        ctx.diagnostics.push(
          diagnostic(
            'OR4008',
            { tensor: name, reason: found.problem },
            { graph: { file: ctx.file, tensor: name } },
          ),
        );
        graph.initializers.set(name, { value, tensor });
      } else {
        graph.initializers.set(name, { value, tensor, external: found.location });
      }
      continue;
    }
    graph.initializers.set(name, { value, tensor });
  }
  // Outputs first, inputs second: a read of a value computed later (out of order, or in a cycle) still
  // resolves, and the verifier names the problem (OR4007 / OR4012) instead of calling it undefined.
  const nodes = (proto.node ?? []).map((n) => {
    const node = new Node(n.opType ?? '', n.domain ?? '', n.name ?? '', [], [], graph);
    if (n.name === '' && Object.hasOwn(n, 'name')) node.statedEmpty.add('name');
    if (n.domain === '' && Object.hasOwn(n, 'domain')) node.statedEmpty.add('domain');
    for (const outputName of n.output ?? []) {
      const info = graph.valueInfo.get(outputName);
      const value = new Value(outputName, tensorTypeFromProto(info?.type), graph);
      value.producer = node;
      node.outputs.push(value);
      if (outputName !== '') define(value, node.name);
    }
    return node;
  });
  for (const [k, n] of (proto.node ?? []).entries()) {
    const node = nodes[k]!;
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
    node.extra = uninterpreted(n, ['input', 'output', 'name', 'opType', 'domain', 'attribute']);
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
    const extra = uninterpreted(output, ['name', 'type']);
    if (Object.keys(extra).length > 0) value.extra = { ...value.extra, ...extra };
    graph.outputs.push(value);
  }
  graph.extra = uninterpreted(proto, ['node', 'name', 'initializer', 'input', 'output', 'valueInfo']);
  return graph;
}

export interface ImportOptions {
  /** The directory external data locations are relative to; default: the file's directory, else the CWD. */
  readonly baseDir?: string;
}

/** Decodes ONNX bytes into the IR. Malformed input yields diagnostics, never an exception. */
export function importModel(
  bytes: Uint8Array,
  file = '<memory>',
  options: ImportOptions = {},
): { model?: Model; diagnostics: Diagnostic[] } {
  const baseDir = resolve(options.baseDir ?? (file.startsWith('<') ? '.' : dirname(file)));
  const ctx: ImportContext = { file, baseDir, diagnostics: [] };
  let proto: onnx.ModelProto;
  try {
    if (bytes.length === 0) throw new Error('the file is empty');
    // The current schema, not onnx-proto's ONNX 1.10 one, so newer fields survive the round trip.
    proto = currentOnnx.ModelProto.decode(bytes) as unknown as onnx.ModelProto;
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
    uninterpreted(proto, ['irVersion', 'opsetImport', 'graph']),
  );
  model.baseDir = baseDir;
  return { model, diagnostics: ctx.diagnostics };
}

/**
 * Reads a model from a file (external data resolved beside it) or from bytes already in memory
 * (external data resolved against `options.baseDir`, default the CWD). Never throws for bad input.
 */
export async function readModel(
  source: string | Uint8Array,
  options: ImportOptions & { readonly file?: string } = {},
): Promise<{ model?: Model; diagnostics: Diagnostic[] }> {
  if (typeof source !== 'string') return importModel(source, options.file ?? '<memory>', options);
  const path = source;
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
  return importModel(bytes, options.file ?? path, options);
}
