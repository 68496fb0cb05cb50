import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { producedElementType } from './element-type-rules.js';
import { Graph, type Model, type Node, type Value } from './graph.js';
import { discoverLayersByStructure } from './layers-structural.js';
import { readsOf } from './topo.js';
import { ElementType } from './types.js';

export interface Layer {
  /** 0-based module index, as the exporter numbers it. */
  readonly index: number;
  readonly nodes: readonly Node[];
  /** The hidden state the layer consumes. */
  readonly input: Value;
  /** The hidden state the next layer (or the tail) consumes. */
  readonly output: Value;
  /**
   * A decoder's per-layer recurrent state: graph inputs only this layer reads (its past keys and values, a
   * Mamba layer's conv/SSM state) and graph outputs only it produces (the present ones). Empty for encoders.
   */
  readonly stateInputs: readonly Value[];
  readonly stateOutputs: readonly Value[];
}

export interface LayerDiscovery {
  readonly layers: readonly Layer[];
  /** Values computed before layer 1 that layers read besides the hidden state (e.g. the attention bias). */
  readonly sideInputs: readonly Value[];
  readonly pattern: string;
  readonly diagnostics: Diagnostic[];
}

/** Exporter scopes tried by `auto`, most specific first. `{i}` is the 0-based module index. */
export const KNOWN_LAYER_PATTERNS = [
  '/bert/encoder/layer.{i}/',
  '/roberta/encoder/layer.{i}/',
  '/encoder/layer.{i}/',
  '/model/layers.{i}/',
  '/transformer/h.{i}/',
  '/backbone/layers.{i}/',
  '/h.{i}/',
  '/layers.{i}/',
];

function groupByPattern(graph: Graph, pattern: string): Map<number, Node[]> {
  const [before, after] = pattern.split('{i}') as [string, string];
  const groups = new Map<number, Node[]>();
  for (const node of graph.nodes) {
    const at = node.name.indexOf(before);
    if (at < 0) continue;
    const rest = node.name.slice(at + before.length);
    const digits = /^\d+/.exec(rest)?.[0];
    if (digits === undefined || !rest.slice(digits.length).startsWith(after)) continue;
    const index = Number(digits);
    if (!groups.has(index)) groups.set(index, []);
    groups.get(index)!.push(node);
  }
  absorbUnscoped(graph, groups);
  return groups;
}

/**
 * Adds to a layer the unscoped nodes that lie wholly inside it. TorchScript functions lose the module scope
 * (a Mamba scan scripted as a `Loop` is named `Loop_72`, its trip count `Shape_69`, not
 * `/backbone/layers.0/...`), so a node whose name has no scope joins layer i when every data value it reads
 * (captures included; constants and graph inputs do not count) comes from layer i, and every node that reads
 * what it produces is in layer i too (graph outputs are fine: a layer's present state). Chains of such nodes
 * join together: first tentatively by what they read, then pruned by who reads them.
 */
function absorbUnscoped(graph: Graph, groups: Map<number, Node[]>): void {
  const layerOf = new Map<Node, number>();
  for (const [index, nodes] of groups) for (const n of nodes) layerOf.set(n, index);
  const tentative = new Map<Node, number>();
  const at = (n: Node) => layerOf.get(n) ?? tentative.get(n);
  let changed = true;
  while (changed) {
    changed = false;
    for (const node of graph.nodes) {
      if (node.name.includes('/') || at(node) !== undefined) continue;
      let layer: number | undefined;
      let inside = true;
      for (const v of readsOf(node)) {
        if (!v.producer || !dependsOnInput(v, graph)) continue;
        const producerLayer = at(v.producer);
        if (producerLayer === undefined || (layer !== undefined && producerLayer !== layer)) {
          inside = false;
          break;
        }
        layer = producerLayer;
      }
      if (!inside || layer === undefined) continue;
      tentative.set(node, layer);
      changed = true;
    }
  }
  changed = true;
  while (changed) {
    changed = false;
    for (const [node, layer] of tentative)
      if (node.outputs.some((v) => [...v.uses].some((u) => at(topLevel(u, graph)) !== layer))) {
        tentative.delete(node);
        changed = true;
      }
  }
  for (const [node, layer] of tentative) groups.get(layer)!.push(node);
  // Keep each layer's nodes in graph order.
  const order = new Map(graph.nodes.map((n, k) => [n, k]));
  for (const nodes of groups.values()) nodes.sort((a, b) => order.get(a)! - order.get(b)!);
}

/** The node of `graph` that holds `node` (itself, or the If/Loop whose subgraph reads a capture). */
function topLevel(node: Node, graph: Graph): Node {
  let n = node;
  while (n.graph !== graph && n.graph.owner) n = n.graph.owner;
  return n;
}

/** True when the value's cone reaches a graph input (so it is data, not a folded constant). */
function dependsOnInput(value: Value, graph: Graph, seen = new Set<Value>()): boolean {
  if (graph.inputs.includes(value) && !graph.initializers.has(value.name)) return true;
  if (seen.has(value)) return false;
  seen.add(value);
  const producer = value.producer;
  if (!producer || producer.op === 'Constant') return false;
  return producer.inputs.some((v) => v !== undefined && dependsOnInput(v, graph, seen));
}

/**
 * What a layer hands on: values read outside it, and the graph outputs only it produces. A graph output
 * no other node reads is per-layer state (a decoder's present keys/values) when the layer has another
 * value that carries on (its hidden state); otherwise it is that hidden state.
 */
function crossing(
  nodes: readonly Node[],
  inside: Set<Node>,
  graph: Graph,
): { carried: Value[]; state: Value[] } {
  const carried: Value[] = [];
  const state: Value[] = [];
  for (const node of nodes) {
    for (const v of node.outputs) {
      if (!dependsOnInput(v, graph)) continue;
      if ([...v.uses].some((u) => !inside.has(topLevel(u, graph)))) carried.push(v);
      else if (graph.outputs.includes(v)) state.push(v);
    }
  }
  return carried.length === 0 ? { carried: state, state: [] } : { carried, state };
}

/**
 * Graph inputs that no other layer reads (per-layer state such as a decoder's past keys and values; the
 * prologue may still read them, e.g. for the past length).
 */
function stateInputsOf(
  external: Iterable<Value>,
  inside: Set<Node>,
  layerOf: ReadonlyMap<Node, number>,
  graph: Graph,
): Value[] {
  return [...external].filter(
    (v) =>
      graph.inputs.includes(v) &&
      !graph.initializers.has(v.name) &&
      [...v.uses].every((u) => inside.has(u) || !layerOf.has(u)),
  );
}

// 16 is bfloat16 (not in ElementType's short list).
const FLOAT_TYPES = new Set<number>([ElementType.float32, ElementType.float16, 16, ElementType.float64]);

/** Whether a value is floating point, from its declaration or its producer's type rule. */
function isFloat(value: Value, seen = new Set<Value>()): boolean {
  const typeOf = (v: Value): number | undefined => {
    if (v.type?.elementType) return v.type.elementType;
    if (seen.has(v) || !v.producer) return undefined;
    seen.add(v);
    return producedElementType(v.producer, v.producer.outputs.indexOf(v), typeOf);
  };
  const t = typeOf(value);
  return t === undefined || FLOAT_TYPES.has(t);
}

/** Values computed from `start` (through node inputs and subgraph captures), `start` included. */
function forwardValues(start: Value, graph: Graph): Set<Value> {
  const seen = new Set<Value>([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (let user of stack.pop()!.uses) {
      while (user.graph !== graph && user.graph.owner) user = user.graph.owner;
      for (const v of user.outputs) {
        if (seen.has(v)) continue;
        seen.add(v);
        stack.push(v);
      }
    }
  }
  return seen;
}

/**
 * Checks every cut: layer k+1 reads the cut after layer k as its hidden state, and no later layer reads a
 * value computed from the hidden state before that cut (which would bypass it: skipping layers at the cut
 * would then change what they compute). Side inputs must be independent of the hidden state (masks,
 * position ids, the extended attention mask computed before layer 1). Returns OR4014 per violation.
 */
export function validateCuts(
  graph: Graph,
  layers: readonly Layer[],
  sideInputs: readonly Value[],
  file = '<model>',
): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const report = (layer: Layer, reason: string) =>
    problems.push(
      diagnostic(
        'OR4014',
        { layer: layer.index + 1, tensor: layer.output.name, reason },
        { graph: { file, node: layer.output.producer?.name ?? '', tensor: layer.output.name } },
      ),
    );
  const first = layers[0];
  if (!first) return problems;
  const hidden = forwardValues(first.input, graph);
  const position = new Map<Value, number>();
  for (const [k, layer] of layers.entries())
    for (const node of layer.nodes) for (const v of node.outputs) position.set(v, k);
  const reported = new Set<Value>();
  for (const [k, layer] of layers.entries()) {
    const inside = new Set(layer.nodes);
    for (const node of layer.nodes)
      for (const v of readsOf(node)) {
        if (v === layer.input || (v.producer && inside.has(v.producer)) || !hidden.has(v) || reported.has(v))
          continue;
        // Computed from the hidden state inside layer `from` (or before the first layer): every cut from
        // there up to this layer is bypassed; name the first one.
        const from = position.get(v) ?? -1;
        if (from === -1 && k === 0) continue;
        reported.add(v);
        const cut = layers[Math.max(from, 0)]!;
        report(
          cut,
          `is bypassed: layer ${layer.index + 1} also reads '${v.name}', computed from the hidden state before the cut`,
        );
      }
  }
  for (const side of sideInputs)
    if (hidden.has(side) && !reported.has(side))
      report(first, `is not the only path: side input '${side.name}' is computed from the hidden state`);
  layers.forEach((layer, k) => {
    const next = layers[k + 1];
    if (next && next.input !== layer.output)
      report(layer, `is not what layer ${next.index + 1} reads as its hidden state ('${next.input.name}')`);
  });
  return problems;
}

/**
 * Finds the backbone's repeated layers by exporter naming (`pattern`, or the known scopes) and the cut
 * values between them. A cut is the one data value a layer hands to the next one. When no naming
 * matches, falls back to structure (the repeated blocks on the residual stream). Every cut is validated
 * (`validateCuts`); problems come back as OR4014 errors beside the layers found.
 */
export function discoverLayers(
  source: Model | Graph,
  options: { pattern?: string; file?: string } = {},
): LayerDiscovery {
  const graph = source instanceof Graph ? source : source.graph;
  const file = options.file ?? '<model>';
  const patterns = options.pattern ? [options.pattern] : KNOWN_LAYER_PATTERNS;
  const fail = (reason: string): LayerDiscovery => ({
    layers: [],
    sideInputs: [],
    pattern: options.pattern ?? 'auto',
    diagnostics: [diagnostic('OR3007', { reason }, { graph: { file } })],
  });
  for (const pattern of patterns) {
    const groups = groupByPattern(graph, pattern);
    if (groups.size === 0) continue;
    const indices = [...groups.keys()].sort((a, b) => a - b);
    if (indices.some((v, k) => v !== k)) {
      return fail(
        `pattern '${pattern}' matches layer indices ${indices.join(', ')}, which are not 0..${indices.length - 1}`,
      );
    }
    const layers: Layer[] = [];
    const sideInputs = new Set<Value>();
    const layerOf = new Map<Node, number>();
    for (const [index, nodes] of groups) for (const n of nodes) layerOf.set(n, index);
    let previousOutput: Value | undefined;
    for (const index of indices) {
      const nodes = groups.get(index)!;
      const inside = new Set(nodes);
      const external = new Set<Value>();
      for (const n of nodes)
        for (const v of n.inputs)
          if (v && !(v.producer && inside.has(v.producer)) && dependsOnInput(v, graph)) external.add(v);
      let input = previousOutput;
      if (!input) {
        const next = groups.get(index + 1);
        const readByNext = new Set<Value>();
        for (const n of next ?? []) for (const v of n.inputs) if (v) readByNext.add(v);
        // The hidden state is floating point and not a per-layer state input; position bookkeeping
        // (a decoder's past length) and the layer's own cache are not candidates.
        const state = new Set(stateInputsOf(external, inside, layerOf, graph));
        const candidates = [...external].filter((v) => !readByNext.has(v) && !state.has(v) && isFloat(v));
        if (candidates.length !== 1)
          return fail(
            `cannot tell the hidden-state input of layer ${index} (${candidates.length} candidates)`,
          );
        input = candidates[0]!;
      }
      if (!external.has(input)) return fail(`layer ${index} does not read the output of layer ${index - 1}`);
      const stateInputs = stateInputsOf(external, inside, layerOf, graph);
      for (const v of external) if (v !== input && !stateInputs.includes(v)) sideInputs.add(v);
      const { carried: outputs, state: stateOutputs } = crossing(nodes, inside, graph);
      if (outputs.length !== 1) {
        return fail(
          `layer ${index} hands ${outputs.length} values to the rest of the graph (${outputs.map((v) => v.name).join(', ')}); expected one hidden state`,
        );
      }
      layers.push({ index, nodes, input, output: outputs[0]!, stateInputs, stateOutputs });
      previousOutput = outputs[0]!;
    }
    const side = [...sideInputs];
    return { layers, sideInputs: side, pattern, diagnostics: validateCuts(graph, layers, side, file) };
  }
  if (!options.pattern) {
    // Names stripped (or fused away): fall back to the residual stream's repeated blocks.
    const layers = discoverLayersByStructure(graph);
    if (layers.length > 0) {
      const sideInputs = new Set<Value>();
      for (const layer of layers) {
        const inside = new Set(layer.nodes);
        for (const n of layer.nodes)
          for (const v of n.inputs)
            if (v && v !== layer.input && !(v.producer && inside.has(v.producer)) && dependsOnInput(v, graph))
              sideInputs.add(v);
      }
      const side = [...sideInputs];
      return {
        layers,
        sideInputs: side,
        pattern: 'structure',
        diagnostics: validateCuts(graph, layers, side, file),
      };
    }
  }
  return fail(
    options.pattern
      ? `no node name contains the pattern '${options.pattern}'`
      : 'no known exporter layer naming matched and no repeated residual blocks were found; give the pattern explicitly',
  );
}
