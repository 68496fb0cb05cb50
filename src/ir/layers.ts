import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import type { Graph, Model, Node, Value } from './graph.js';
import { discoverLayersByStructure } from './layers-structural.js';

export interface Layer {
  /** 0-based module index, as the exporter numbers it. */
  readonly index: number;
  readonly nodes: readonly Node[];
  /** The hidden state the layer consumes. */
  readonly input: Value;
  /** The hidden state the next layer (or the tail) consumes. */
  readonly output: Value;
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
  return groups;
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

function crossing(nodes: readonly Node[], inside: Set<Node>, graph: Graph): Value[] {
  const out: Value[] = [];
  for (const node of nodes) {
    for (const v of node.outputs) {
      const usedOutside = [...v.uses].some((u) => !inside.has(u)) || graph.outputs.includes(v);
      if (usedOutside && dependsOnInput(v, graph)) out.push(v);
    }
  }
  return out;
}

/**
 * Finds the backbone's repeated layers by exporter naming (`pattern`, or the known scopes) and the cut
 * values between them. A cut is the one data value a layer hands to the next one.
 */
export function discoverLayers(
  model: Model,
  options: { pattern?: string; file?: string } = {},
): LayerDiscovery {
  const graph = model.graph;
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
        const candidates = [...external].filter((v) => !readByNext.has(v));
        if (candidates.length !== 1)
          return fail(
            `cannot tell the hidden-state input of layer ${index} (${candidates.length} candidates)`,
          );
        input = candidates[0]!;
      }
      if (!external.has(input)) return fail(`layer ${index} does not read the output of layer ${index - 1}`);
      for (const v of external) if (v !== input) sideInputs.add(v);
      const outputs = crossing(nodes, inside, graph);
      if (outputs.length !== 1) {
        return fail(
          `layer ${index} hands ${outputs.length} values to the rest of the graph (${outputs.map((v) => v.name).join(', ')}); expected one hidden state`,
        );
      }
      layers.push({ index, nodes, input, output: outputs[0]! });
      previousOutput = outputs[0]!;
    }
    return { layers, sideInputs: [...sideInputs], pattern, diagnostics: [] };
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
      return { layers, sideInputs: [...sideInputs], pattern: 'structure', diagnostics: [] };
    }
  }
  return fail(
    options.pattern
      ? `no node name contains the pattern '${options.pattern}'`
      : 'no known exporter layer naming matched and no repeated residual blocks were found; give the pattern explicitly',
  );
}
