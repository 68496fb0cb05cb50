import type { onnx } from 'onnx-proto';
import type { Dim, TensorType } from './types.js';

/**
 * Offramp's graph IR. Values carry use lists; a node inside a subgraph that reads an outer value
 * (a capture) is recorded as a use of that value, so no pass can delete something a branch still needs.
 */
export class Value {
  producer: Node | undefined;
  readonly uses = new Set<Node>();
  /** ValueInfoProto fields of a graph input or output no pass interprets (doc_string, metadata_props). */
  extra: ProtoFields<onnx.IValueInfoProto> = {};
  constructor(
    public name: string,
    public type: TensorType | undefined,
    /** The graph that defines this value (as input, initializer or node output). */
    public graph: Graph,
  ) {}

  /** The element type (`TensorProto.DataType`), when known. */
  get elementType(): number | undefined {
    return this.type?.elementType;
  }

  /** The shape (numbers, symbolic names, `undefined` for unknown dims); `undefined` for unknown rank. */
  get shape(): readonly Dim[] | undefined {
    return this.type?.shape;
  }

  /** True when some node (in any scope) reads this value. Graph outputs are not node uses. */
  get isUsed(): boolean {
    return this.uses.size > 0;
  }
}

export type AttributeValue =
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'ints'; readonly value: readonly bigint[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensor'; readonly value: onnx.ITensorProto }
  | { readonly kind: 'graph'; readonly value: Graph }
  /** Kept verbatim: attribute kinds no pass inspects (sparse tensors, type protos, ...). */
  | { readonly kind: 'raw'; readonly value: onnx.IAttributeProto };

export class Node {
  readonly attributes = new Map<string, AttributeValue>();
  /**
   * Fields of NodeProto no pass interprets (doc_string, metadata_props, overload, ...), re-emitted
   * verbatim. Fields newer than onnx-proto's schema are here too, so the type is open.
   */
  extra: ProtoFields<onnx.INodeProto> = {};
  /**
   * `name` / `domain` when the file states them as '' (proto2 keeps presence): re-emitted as stated
   * while they stay empty, so an unchanged model round-trips field for field.
   */
  readonly statedEmpty = new Set<'name' | 'domain'>();
  constructor(
    public op: string,
    public domain: string,
    public name: string,
    public inputs: (Value | undefined)[],
    public outputs: Value[],
    public graph: Graph,
  ) {}

  /** The node's `metadata_props` (IR 10; e.g. the dynamo exporter's `pkg.torch.onnx.name_scopes`). */
  metadata(): ReadonlyMap<string, string> {
    const entries = (this.extra.metadataProps ?? []) as readonly StringStringEntry[];
    return new Map(entries.map((e) => [e.key ?? '', e.value ?? '']));
  }

  subgraphs(): Graph[] {
    const out: Graph[] = [];
    for (const a of this.attributes.values()) if (a.kind === 'graph') out.push(a.value);
    return out;
  }

  intAttribute(name: string, fallback: bigint): bigint {
    const a = this.attributes.get(name);
    return a?.kind === 'int' ? a.value : fallback;
  }
}

/** Where an initializer's bytes lie when its TensorProto says `data_location = EXTERNAL`. */
export interface ExternalLocation {
  /** The `location` entry as written in the model (relative to the model's directory). */
  readonly location: string;
  /** `location` resolved against the model's directory. */
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/**
 * An initializer: a value with constant data, kept as the (possibly zero-copy) TensorProto it came from.
 * External tensors keep their proto as written and are read only when someone asks for their bytes.
 */
export interface Initializer {
  readonly value: Value;
  tensor: onnx.ITensorProto;
  external?: ExternalLocation;
}

/** A `StringStringEntryProto`. */
export interface StringStringEntry {
  key?: string | null;
  value?: string | null;
}

/** A protobuf message's uninterpreted fields: the known ones typed, newer ones (metadata_props, ...) open. */
export type ProtoFields<T> = Partial<T> & { metadataProps?: StringStringEntry[] } & Record<string, unknown>;

export class Graph {
  nodes: Node[] = [];
  inputs: Value[] = [];
  outputs: Value[] = [];
  readonly initializers = new Map<string, Initializer>();
  /** value_info entries by name; kept to preserve the model's own annotations. */
  readonly valueInfo = new Map<string, onnx.IValueInfoProto>();
  extra: ProtoFields<onnx.IGraphProto> = {};
  constructor(
    public name: string,
    /** The node whose attribute holds this graph; `undefined` for the main graph. */
    public owner: Node | undefined,
  ) {}

  get parent(): Graph | undefined {
    return this.owner?.graph;
  }

  /** Places `node` (already built for this graph) at a position; the default appends. */
  insertNode(node: Node, at: NodePosition = 'end'): void {
    if (node.graph !== this) throw new Error(`node '${node.name}' belongs to graph '${node.graph.name}'`);
    this.nodes.splice(nodeIndex(this, at), 0, node);
  }

  /** The graph inputs that are not initializers (IR < 4 lists initializers among the inputs). */
  get dataInputs(): Value[] {
    return this.inputs.filter((v) => !this.initializers.has(v.name));
  }
}

/** Where a new node goes in its graph's node list. */
export type NodePosition =
  | 'end'
  | 'start'
  | { readonly before: Node }
  | { readonly after: Node }
  | { readonly index: number };

/** The index in `graph.nodes` that `at` designates (anchors must be in the graph). */
export function nodeIndex(graph: Graph, at: NodePosition): number {
  if (at === 'end') return graph.nodes.length;
  if (at === 'start') return 0;
  if ('index' in at) return Math.max(0, Math.min(at.index, graph.nodes.length));
  const anchor = 'before' in at ? at.before : at.after;
  const k = graph.nodes.indexOf(anchor);
  if (k < 0) throw new Error(`anchor node '${anchor.name}' is not in graph '${graph.name}'`);
  return 'before' in at ? k : k + 1;
}

export interface OpsetImport {
  readonly domain: string;
  readonly version: number;
}

export class Model {
  /** The directory external data locations are relative to (the model file's directory). */
  baseDir: string | undefined;
  constructor(
    public graph: Graph,
    public opsetImports: OpsetImport[],
    public irVersion: number,
    /** ModelProto fields no pass interprets (producer, metadata_props, functions, configuration, ...). */
    public extra: ProtoFields<onnx.IModelProto>,
  ) {}

  /** `producer_name` as the model states it ('' when absent). */
  get producerName(): string {
    return (this.extra.producerName as string | undefined) ?? '';
  }

  /** The model's `metadata_props`. */
  metadata(): ReadonlyMap<string, string> {
    const entries = (this.extra.metadataProps ?? []) as readonly StringStringEntry[];
    return new Map(entries.map((e) => [e.key ?? '', e.value ?? '']));
  }

  /** Adds an opset import for `domain` unless one exists. */
  importOpset(domain: string, version: number): void {
    if (this.opset(domain) === undefined) this.opsetImports.push({ domain, version });
  }

  opset(domain = ''): number | undefined {
    return this.opsetImports.find((o) => o.domain === domain || (domain === '' && o.domain === 'ai.onnx'))
      ?.version;
  }
}

/** Every graph of a model, the main graph first, then subgraphs depth-first. */
export function* allGraphs(graph: Graph): Generator<Graph> {
  yield graph;
  for (const node of graph.nodes) for (const sub of node.subgraphs()) yield* allGraphs(sub);
}
