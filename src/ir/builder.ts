import { type AttributeValue, allGraphs, Graph, type Model, Node, Value } from './graph.js';
import type { onnx } from './onnx-types.js';
import { ElementType, type TensorType } from './types.js';

export type AttributeInput =
  | number
  | bigint
  | string
  | readonly number[]
  | readonly bigint[]
  | Graph
  | AttributeValue;

function toAttribute(value: AttributeInput, floatHint: boolean): AttributeValue {
  if (value instanceof Graph) return { kind: 'graph', value };
  if (typeof value === 'bigint') return { kind: 'int', value };
  if (typeof value === 'number') {
    return floatHint || !Number.isInteger(value)
      ? { kind: 'float', value }
      : { kind: 'int', value: BigInt(value) };
  }
  if (typeof value === 'string') return { kind: 'string', value };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'bigint')) return { kind: 'ints', value: value as bigint[] };
    if (!floatHint && (value as number[]).every((v) => Number.isInteger(v))) {
      return { kind: 'ints', value: (value as number[]).map((v) => BigInt(v)) };
    }
    return { kind: 'floats', value: value as number[] };
  }
  return value as AttributeValue;
}

/** Attributes whose ONNX type is FLOAT even when the number given is integral. */
const FLOAT_ATTRIBUTES = new Set(['alpha', 'beta', 'epsilon', 'value_float', 'gamma', 'bias', 'lambd']);

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly (Value | undefined)[];
  readonly attributes?: Readonly<Record<string, AttributeInput>>;
  readonly outputs?: number;
  readonly name?: string;
  readonly domain?: string;
  readonly outputTypes?: readonly (TensorType | undefined)[];
}

type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

function elementTypeOf(data: TypedData, bool: boolean): number {
  if (bool) return ElementType.bool;
  if (data instanceof Float32Array) return ElementType.float32;
  if (data instanceof Float64Array) return ElementType.float64;
  if (data instanceof BigInt64Array) return ElementType.int64;
  if (data instanceof Int32Array) return ElementType.int32;
  return ElementType.uint8;
}

/**
 * Builds nodes into a graph of a model. Names are unique across every scope of the model, since ONNX
 * forbids a subgraph from shadowing any outer name.
 */
export class Builder {
  private readonly taken: Set<string>;

  constructor(
    readonly model: Model,
    public graph: Graph,
    taken?: Set<string>,
  ) {
    this.taken = taken ?? collectNames(model);
  }

  /** A builder for another graph of the same model, sharing the name registry. */
  into(graph: Graph): Builder {
    return new Builder(this.model, graph, this.taken);
  }

  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** Adds an initializer holding `data` with the given dims. */
  constant(base: string, data: TypedData, dims: readonly number[], options: { bool?: boolean } = {}): Value {
    const name = this.uniqueName(base);
    const elementType = elementTypeOf(data, options.bool ?? false);
    const value = new Value(name, { elementType, shape: [...dims] }, this.graph);
    const tensor: onnx.ITensorProto = {
      name,
      dims: [...dims],
      dataType: elementType,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
    };
    this.graph.initializers.set(name, { value, tensor });
    return value;
  }

  scalar(base: string, value: number, type: 'float32' | 'float64' | 'int64' | 'bool'): Value {
    switch (type) {
      case 'float32':
        return this.constant(base, Float32Array.of(value), []);
      case 'float64':
        return this.constant(base, Float64Array.of(value), []);
      case 'int64':
        return this.constant(base, BigInt64Array.of(BigInt(value)), []);
      case 'bool':
        return this.constant(base, Uint8Array.of(value ? 1 : 0), [], { bool: true });
    }
  }

  /** Appends a node to the current graph and returns its outputs. */
  add(spec: NodeSpec): Value[] {
    const name = this.uniqueName(spec.name ?? spec.op);
    const node = new Node(spec.op, spec.domain ?? '', name, [...spec.inputs], [], this.graph);
    for (const [key, value] of Object.entries(spec.attributes ?? {})) {
      node.attributes.set(key, toAttribute(value, FLOAT_ATTRIBUTES.has(key)));
    }
    for (const input of spec.inputs) input?.uses.add(node);
    const count = spec.outputs ?? 1;
    for (let i = 0; i < count; i++) {
      const value = new Value(this.uniqueName(`${name}_output_${i}`), spec.outputTypes?.[i], this.graph);
      value.producer = node;
      node.outputs.push(value);
    }
    this.graph.nodes.push(node);
    return node.outputs;
  }

  /** Single-output convenience. */
  op(
    op: string,
    inputs: readonly (Value | undefined)[],
    attributes?: Readonly<Record<string, AttributeInput>>,
    name?: string,
  ): Value {
    return this.add({ op, inputs, ...(attributes ? { attributes } : {}), ...(name ? { name } : {}) })[0]!;
  }

  /** A fresh subgraph owned by `owner` (set once the If node exists). */
  subgraph(name: string): Graph {
    return new Graph(this.uniqueName(name), undefined);
  }
}

/** Every name used anywhere in the model (values, nodes, graphs), for unique-name generation. */
export function collectNames(model: Model): Set<string> {
  const names = new Set<string>();
  for (const g of allGraphs(model.graph)) {
    names.add(g.name);
    for (const v of g.inputs) names.add(v.name);
    for (const name of g.initializers.keys()) names.add(name);
    for (const n of g.nodes) {
      names.add(n.name);
      for (const v of n.outputs) names.add(v.name);
    }
  }
  return names;
}

/** Rewires every use of `from` to `to` (including uses inside subgraphs and graph outputs). */
export function replaceAllUsesWith(from: Value, to: Value, root: Graph): void {
  for (const user of [...from.uses]) {
    user.inputs = user.inputs.map((v) => (v === from ? to : v));
    from.uses.delete(user);
    to.uses.add(user);
  }
  for (const g of allGraphs(root)) g.outputs = g.outputs.map((v) => (v === from ? to : v));
}

/** Removes a node and its use records. Its outputs must be unused. */
export function removeNode(node: Node): void {
  for (const input of node.inputs) input?.uses.delete(node);
  node.graph.nodes = node.graph.nodes.filter((n) => n !== node);
}
