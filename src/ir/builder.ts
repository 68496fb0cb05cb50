import {
  type AttributeValue,
  allGraphs,
  Graph,
  type Model,
  Node,
  type NodePosition,
  Value,
} from './graph.js';
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

/**
 * `addNode`'s argument. `outputs` names the outputs (each must be free in every scope); `outputCount`
 * asks for that many fresh ones named after the node. `at` places the node (default: the builder's
 * insertion point, i.e. the end of the graph unless the builder came from `before`/`after`).
 */
export interface AddNodeSpec {
  readonly op: string;
  readonly inputs?: readonly (Value | undefined)[];
  readonly outputs?: readonly string[];
  readonly outputCount?: number;
  readonly outputTypes?: readonly (TensorType | undefined)[];
  readonly attributes?: Readonly<Record<string, AttributeInput>>;
  readonly name?: string;
  readonly domain?: string;
  readonly at?: NodePosition;
}

/** `ifNode`'s argument: each branch body builds into its own subgraph and returns the branch outputs. */
export interface IfSpec {
  readonly cond: Value;
  readonly thenBranch: (branch: Builder) => readonly Value[];
  readonly elseBranch: (branch: Builder) => readonly Value[];
  readonly name?: string;
  /** Names of the If node's outputs; default fresh names after the node. */
  readonly outputs?: readonly string[];
  /** Types of the If node's outputs; default the then-branch outputs' types. */
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
  /** Where `add`/`addNode` put nodes: after the last one placed, starting at this anchor. */
  private cursor: { readonly before: Node } | { after: Node } | undefined;

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

  /** A builder whose nodes go, in creation order, right before `anchor` (in `anchor`'s graph). */
  before(anchor: Node): Builder {
    const b = this.into(anchor.graph);
    b.cursor = { before: anchor };
    return b;
  }

  /** A builder whose nodes go, in creation order, right after `anchor` (in `anchor`'s graph). */
  after(anchor: Node): Builder {
    const b = this.into(anchor.graph);
    b.cursor = { after: anchor };
    return b;
  }

  /** A name starting with `base` that no scope of the model uses yet (ONNX forbids shadowing). */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** Claims an exact name; throws when any scope already uses it (a pass bug, not a user error). */
  claimName(name: string): string {
    if (this.taken.has(name)) throw new Error(`the name '${name}' is already used in the model`);
    this.taken.add(name);
    return name;
  }

  /** True when some scope of the model (or an earlier `uniqueName`) uses `name`. */
  isTaken(name: string): boolean {
    return this.taken.has(name);
  }

  /** Adds a graph input (a runtime-fed value) with a name claimed exactly. */
  addInput(name: string, type: TensorType): Value {
    const value = new Value(this.claimName(name), type, this.graph);
    this.graph.inputs.push(value);
    return value;
  }

  /** Appends `value` to the graph's outputs. */
  addOutput(value: Value): void {
    this.graph.outputs.push(value);
  }

  private place(node: Node, at: NodePosition | undefined): void {
    if (at) {
      this.graph.insertNode(node, at);
      return;
    }
    const cursor = this.cursor;
    if (!cursor) {
      this.graph.nodes.push(node);
    } else if ('before' in cursor) {
      this.graph.insertNode(node, cursor);
    } else {
      this.graph.insertNode(node, { after: cursor.after });
      cursor.after = node;
    }
  }

  /** Creates a node with typed attributes, registers its uses and places it; returns the node. */
  addNode(spec: AddNodeSpec): Node {
    const name = this.uniqueName(spec.name ?? spec.op);
    const inputs = [...(spec.inputs ?? [])];
    const node = new Node(spec.op, spec.domain ?? '', name, inputs, [], this.graph);
    for (const [key, value] of Object.entries(spec.attributes ?? {})) {
      node.attributes.set(key, toAttribute(value, FLOAT_ATTRIBUTES.has(key)));
    }
    for (const input of inputs) input?.uses.add(node);
    const names = spec.outputs ?? [];
    const count = spec.outputs ? names.length : (spec.outputCount ?? 1);
    for (let i = 0; i < count; i++) {
      const given = names[i];
      const outputName = given !== undefined ? this.claimName(given) : this.uniqueName(`${name}_output_${i}`);
      const value = new Value(outputName, spec.outputTypes?.[i], this.graph);
      value.producer = node;
      node.outputs.push(value);
    }
    for (const a of node.attributes.values()) if (a.kind === 'graph') a.value.owner = node;
    this.place(node, spec.at);
    return node;
  }

  /**
   * Creates an `If` on `cond` whose branches are built by the two callbacks. Branch bodies may read any
   * value visible here (a capture: the reading node becomes a use of the outer value). A branch output
   * that the branch does not compute itself is passed through an `Identity`, as ONNX requires branch
   * outputs to be defined in the branch.
   */
  ifNode(spec: IfSpec): Node {
    const name = this.uniqueName(spec.name ?? 'If');
    const build = (label: 'then' | 'else', body: (b: Builder) => readonly Value[]): Graph => {
      const graph = new Graph(this.uniqueName(`${name}/${label}_branch`), undefined);
      const b = this.into(graph);
      graph.outputs = body(b).map((v) =>
        v.graph === graph ? v : b.op('Identity', [v], undefined, `${name}/${label}/Identity`),
      );
      for (const [k, v] of graph.outputs.entries()) {
        const source = v.producer?.op === 'Identity' ? v.producer.inputs[0] : undefined;
        if (!v.type && source?.type) graph.outputs[k]!.type = source.type;
      }
      return graph;
    };
    const thenBranch = build('then', spec.thenBranch);
    const elseBranch = build('else', spec.elseBranch);
    if (thenBranch.outputs.length !== elseBranch.outputs.length)
      throw new Error(
        `If '${name}': then gives ${thenBranch.outputs.length} outputs, else ${elseBranch.outputs.length}`,
      );
    const node = new Node('If', '', name, [spec.cond], [], this.graph);
    spec.cond.uses.add(node);
    node.attributes.set('then_branch', { kind: 'graph', value: thenBranch });
    node.attributes.set('else_branch', { kind: 'graph', value: elseBranch });
    thenBranch.owner = node;
    elseBranch.owner = node;
    for (const [k, v] of thenBranch.outputs.entries()) {
      const given = spec.outputs?.[k];
      const outName = given !== undefined ? this.claimName(given) : this.uniqueName(`${name}_output_${k}`);
      const out = new Value(outName, spec.outputTypes?.[k] ?? v.type, this.graph);
      out.producer = node;
      node.outputs.push(out);
    }
    this.place(node, undefined);
    return node;
  }

  /**
   * Copies `nodes` (in the order given, which must be topological) into this builder's graph. Inputs are
   * looked up in `remap` first; a value not in it is read as is (from the copy's enclosing scope, e.g. an
   * outer value an If branch captures). Outputs get fresh names after the originals, subgraph attributes
   * are copied deeply, and `remap` is extended with old → new for every copied output.
   */
  cloneNodes(nodes: Iterable<Node>, remap: Map<Value, Value> = new Map()): Map<Value, Value> {
    for (const node of nodes) {
      const inputs = node.inputs.map((v) => (v ? (remap.get(v) ?? v) : undefined));
      const copy = new Node(
        node.op,
        node.domain,
        this.uniqueName(node.name || node.op),
        inputs,
        [],
        this.graph,
      );
      for (const v of inputs) v?.uses.add(copy);
      copy.extra = { ...node.extra };
      for (const [key, a] of node.attributes) {
        if (a.kind !== 'graph') {
          copy.attributes.set(key, a);
          continue;
        }
        const sub = new Graph(this.uniqueName(a.value.name || key), copy);
        const inner = this.into(sub);
        const subRemap = new Map(remap);
        for (const input of a.value.inputs) {
          const v = new Value(inner.uniqueName(input.name), input.type, sub);
          sub.inputs.push(v);
          subRemap.set(input, v);
        }
        for (const init of a.value.initializers.values()) {
          const existing = subRemap.get(init.value);
          const v = existing ?? new Value(inner.uniqueName(init.value.name), init.value.type, sub);
          if (!existing) subRemap.set(init.value, v);
          sub.initializers.set(v.name, { ...init, value: v, tensor: { ...init.tensor, name: v.name } });
        }
        inner.cloneNodes(a.value.nodes, subRemap);
        sub.outputs = a.value.outputs.map((v) => subRemap.get(v) ?? v);
        sub.extra = { ...a.value.extra };
        copy.attributes.set(key, { kind: 'graph', value: sub });
      }
      for (const out of node.outputs) {
        const v = new Value(out.name === '' ? '' : this.uniqueName(out.name), out.type, this.graph);
        v.producer = copy;
        copy.outputs.push(v);
        remap.set(out, v);
      }
      this.place(copy, undefined);
    }
    return remap;
  }

  /**
   * Adds an initializer holding `data` (float32, float64, int64, int32, uint8; `boolean[]` or
   * `{ bool: true }` with a Uint8Array for bool) with the given dims (default: a vector).
   */
  constant(
    base: string,
    values: TypedData | readonly boolean[],
    dims?: readonly number[],
    options: { bool?: boolean } = {},
  ): Value {
    const isBoolArray = Array.isArray(values);
    const data = isBoolArray
      ? Uint8Array.from(values as readonly boolean[], (b) => (b ? 1 : 0))
      : (values as TypedData);
    dims ??= [data.length];
    const name = this.uniqueName(base);
    const elementType = elementTypeOf(data, isBoolArray || (options.bool ?? false));
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

  /** Adds a node at the builder's insertion point and returns its outputs (see `addNode`). */
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
    for (const a of node.attributes.values()) if (a.kind === 'graph') a.value.owner = node;
    this.place(node, undefined);
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
export function replaceAllUsesWith(from: Value, to: Value, root: Graph = mainGraphOf(from.graph)): void {
  for (const user of [...from.uses]) {
    user.inputs = user.inputs.map((v) => (v === from ? to : v));
    from.uses.delete(user);
    to.uses.add(user);
  }
  for (const g of allGraphs(root)) g.outputs = g.outputs.map((v) => (v === from ? to : v));
}

/** The outermost graph enclosing `graph`. */
export function mainGraphOf(graph: Graph): Graph {
  let g = graph;
  while (g.parent) g = g.parent;
  return g;
}

/** Drops the use records of `node` and of every node in its subgraphs (their captures included). */
function forgetUses(node: Node): void {
  for (const input of node.inputs) input?.uses.delete(node);
  for (const sub of node.subgraphs()) for (const inner of sub.nodes) forgetUses(inner);
}

/** Removes a node and its use records (its subgraphs' captures included). Its outputs must be unused. */
export function removeNode(node: Node): void {
  forgetUses(node);
  node.graph.nodes = node.graph.nodes.filter((n) => n !== node);
}

/** Removes several nodes at once (one pass over each graph's node list). */
export function removeNodes(nodes: Iterable<Node>): void {
  const byGraph = new Map<Graph, Set<Node>>();
  for (const node of nodes) {
    forgetUses(node);
    if (!byGraph.has(node.graph)) byGraph.set(node.graph, new Set());
    byGraph.get(node.graph)!.add(node);
  }
  for (const [graph, gone] of byGraph) graph.nodes = graph.nodes.filter((n) => !gone.has(n));
}
