import type { onnx } from 'onnx-proto';
import type { TensorType } from './types.js';

/**
 * Offramp's graph IR. Values carry use lists; a node inside a subgraph that reads an outer value
 * (a capture) is recorded as a use of that value, so no pass can delete something a branch still needs.
 */
export class Value {
  producer: Node | undefined;
  readonly uses = new Set<Node>();
  constructor(
    public name: string,
    public type: TensorType | undefined,
    /** The graph that defines this value (as input, initializer or node output). */
    public graph: Graph,
  ) {}
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
  /** Fields of NodeProto no pass interprets (doc_string, ...), re-emitted verbatim. */
  extra: Partial<onnx.INodeProto> = {};
  constructor(
    public op: string,
    public domain: string,
    public name: string,
    public inputs: (Value | undefined)[],
    public outputs: Value[],
    public graph: Graph,
  ) {}

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

/** An initializer: a value with constant data, kept as the (possibly zero-copy) TensorProto it came from. */
export interface Initializer {
  readonly value: Value;
  tensor: onnx.ITensorProto;
}

export class Graph {
  nodes: Node[] = [];
  inputs: Value[] = [];
  outputs: Value[] = [];
  readonly initializers = new Map<string, Initializer>();
  /** value_info entries by name; kept to preserve the model's own annotations. */
  readonly valueInfo = new Map<string, onnx.IValueInfoProto>();
  extra: Partial<onnx.IGraphProto> = {};
  constructor(
    public name: string,
    /** The node whose attribute holds this graph; `undefined` for the main graph. */
    public owner: Node | undefined,
  ) {}

  get parent(): Graph | undefined {
    return this.owner?.graph;
  }
}

export interface OpsetImport {
  readonly domain: string;
  readonly version: number;
}

export class Model {
  constructor(
    public graph: Graph,
    public opsetImports: OpsetImport[],
    public irVersion: number,
    /** ModelProto fields no pass interprets (producer, metadata_props, functions, ...). */
    public extra: Partial<onnx.IModelProto>,
  ) {}

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
