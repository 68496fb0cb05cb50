import type { Diagnostic } from '../diagnostics/index.js';
import { allGraphs, type Model, type Node, type OpsetImport, type Value } from './graph.js';
import { inferShapes } from './infer-shapes.js';
import { discoverLayers } from './layers.js';
import { readsOf } from './topo.js';
import { type Dim, elementTypeName, type TensorType } from './types.js';

export interface InspectOptions {
  /** The sequence length FLOPs are counted at (every symbolic dim not named like a batch). Default 128. */
  readonly sequenceLength?: number;
  /** The batch size FLOPs are counted at (symbolic dims whose name contains "batch"). Default 1. */
  readonly batchSize?: number;
  /** Explicit sizes for symbolic dims, overriding the two rules above. */
  readonly dims?: Readonly<Record<string, number>>;
  /** A layer pattern with `{i}`; default: the known exporter scopes, then structure. */
  readonly pattern?: string;
  readonly file?: string;
}

export interface InspectedValue {
  readonly name: string;
  /** `float32[batch,sequence,768]`. */
  readonly type: string;
}

export interface InspectedLayer {
  /** 1-based, as users count layers. */
  readonly layer: number;
  /** 0-based module index, as exporters name layers. */
  readonly index: number;
  readonly nodes: number;
  /** The hidden state the layer reads. */
  readonly input: InspectedValue;
  /** The cut after the layer: the hidden state the next layer reads. */
  readonly cut: InspectedValue;
  /** Floating-point parameters the layer reads first (a shared weight counts where first read). */
  readonly parameters: number;
  readonly flops: number;
}

export interface InspectReport {
  readonly file: string;
  readonly irVersion: number;
  readonly producer: string;
  readonly opsets: readonly OpsetImport[];
  readonly inputs: readonly InspectedValue[];
  readonly outputs: readonly InspectedValue[];
  /** Nodes in every scope. */
  readonly nodes: number;
  /** Node count per op (`domain.Op` outside the default domain), every scope, sorted by op. */
  readonly opHistogram: Readonly<Record<string, number>>;
  /** Floating-point parameters (initializers and Constant tensors), every scope. */
  readonly parameters: number;
  /** Bytes of weights stored in external data files (not read by inspect). */
  readonly externalBytes: number;
  /** The sizes FLOPs were counted at. */
  readonly dims: Readonly<Record<string, number>>;
  readonly layerPattern: string;
  readonly layers: readonly InspectedLayer[];
  /** The whole graph's FLOPs at `dims`. */
  readonly flops: number;
  readonly diagnostics: readonly Diagnostic[];
}

const FLOAT_TYPES = new Set([1, 10, 11, 16]);

/** Ops that only move or describe data; they count no FLOPs. */
const DATA_MOVEMENT = new Set([
  'Shape',
  'Size',
  'Constant',
  'ConstantOfShape',
  'Reshape',
  'Transpose',
  'Gather',
  'GatherElements',
  'GatherND',
  'Concat',
  'Slice',
  'Unsqueeze',
  'Squeeze',
  'Expand',
  'Identity',
  'Cast',
  'CastLike',
  'Range',
  'Split',
  'Flatten',
  'Dropout',
  'If',
  'Loop',
  'Scan',
  'NonZero',
  'ScatterND',
  'Tile',
  'Pad',
]);
/** Ops that cost several FLOPs per output element (exp, sum, divide, ...); a rough, stated constant. */
const PER_ELEMENT_5 = new Set(['Softmax', 'LogSoftmax', 'LayerNormalization', 'SkipLayerNormalization']);

function typeText(t: TensorType | undefined): string {
  if (!t) return '?';
  const shape = t.shape ? `[${t.shape.map((d) => (d === undefined ? '?' : String(d))).join(',')}]` : '[*]';
  return `${elementTypeName(t.elementType)}${shape}`;
}

const describe = (v: Value): InspectedValue => ({ name: v.name, type: typeText(v.type) });

/** Binds symbolic dims (including products `a*b` and sums `a + b` that inference writes) to sizes. */
function sizeOf(d: Dim, bind: (symbol: string) => number): number | undefined {
  if (typeof d === 'number') return d;
  if (d === undefined) return undefined;
  const sum = d.split(' + ');
  if (sum.length > 1)
    return sum.reduce<number | undefined>((s, t) => (s === undefined ? s : add(s, sizeOf(t, bind))), 0);
  return d.split('*').reduce<number | undefined>((p, f) => {
    if (p === undefined) return undefined;
    const n = /^\d+$/.test(f) ? Number(f) : bind(f);
    return p * n;
  }, 1);
}
const add = (a: number, b: number | undefined) => (b === undefined ? undefined : a + b);

function elements(v: Value | undefined, bind: (s: string) => number): number | undefined {
  const shape = v?.type?.shape;
  if (!shape) return undefined;
  return shape.reduce<number | undefined>((p, d) => {
    const n = sizeOf(d, bind);
    return p === undefined || n === undefined ? undefined : p * n;
  }, 1);
}

/** FLOPs of one node at the bound sizes: 2·M·K·N for MatMul/Gemm, ~1 per output element otherwise. */
function nodeFlops(node: Node, bind: (s: string) => number): number {
  if (DATA_MOVEMENT.has(node.op)) return 0;
  const out = elements(node.outputs[0], bind) ?? 0;
  if (node.op === 'MatMul' || node.op === 'Gemm') {
    const a = node.inputs[0]?.type?.shape;
    const transposed = node.op === 'Gemm' && node.intAttribute('transA', 0n) === 1n;
    const k = a ? sizeOf(transposed ? a[0] : a.at(-1), bind) : undefined;
    return 2 * out * (k ?? 0) + (node.op === 'Gemm' && node.inputs[2] ? out : 0);
  }
  return PER_ELEMENT_5.has(node.op) ? 5 * out : out;
}

/** Elements of a weight tensor; scalars (rank 0: scales, epsilons, constants) are not parameters. */
function tensorElements(dims: readonly unknown[] | null | undefined): number {
  if (!dims || dims.length === 0) return 0;
  return dims.reduce<number>((p, d) => p * Number(d), 1);
}

/**
 * Summarises a model for `offramp inspect`: signature, opsets, op histogram, the layers with their cut
 * tensors, and parameters and FLOPs per layer at a sequence length. Reads no weight bytes (external data
 * stays on disk); infers shapes in place to size the cuts and count FLOPs.
 */
export function inspectModel(model: Model, options: InspectOptions = {}): InspectReport {
  const file = options.file ?? '<model>';
  const graph = model.graph;
  const sequence = options.sequenceLength ?? 128;
  const batch = options.batchSize ?? 1;
  const dims: Record<string, number> = {};
  const bind = (symbol: string): number => {
    if (dims[symbol] === undefined)
      dims[symbol] = options.dims?.[symbol] ?? (/batch/i.test(symbol) ? batch : sequence);
    return dims[symbol]!;
  };
  const inferred = inferShapes(graph, { file, opset: model.opset('') ?? 17 });
  const found = discoverLayers(model, { file, ...(options.pattern ? { pattern: options.pattern } : {}) });

  const histogram = new Map<string, number>();
  let nodes = 0;
  let parameters = 0;
  for (const g of allGraphs(graph)) {
    for (const n of g.nodes) {
      nodes++;
      const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.op}` : n.op;
      histogram.set(key, (histogram.get(key) ?? 0) + 1);
      const t = n.op === 'Constant' ? n.attributes.get('value') : undefined;
      if (t?.kind === 'tensor' && FLOAT_TYPES.has(t.value.dataType ?? 0))
        parameters += tensorElements(t.value.dims);
    }
    for (const init of g.initializers.values())
      if (FLOAT_TYPES.has(init.tensor.dataType ?? 0)) parameters += tensorElements(init.tensor.dims);
  }
  let externalBytes = 0;
  for (const g of allGraphs(graph))
    for (const init of g.initializers.values()) externalBytes += init.external?.length ?? 0;

  // A shared weight counts in the first layer that reads it.
  const counted = new Set<Value>();
  const layers = found.layers.map((layer): InspectedLayer => {
    let layerParameters = 0;
    let flops = 0;
    for (const node of layer.nodes) {
      for (const v of readsOf(node)) {
        const init = v.graph.initializers.get(v.name);
        if (!init || init.value !== v || counted.has(v) || !FLOAT_TYPES.has(init.tensor.dataType ?? 0))
          continue;
        counted.add(v);
        layerParameters += tensorElements(init.tensor.dims);
      }
      const t = node.op === 'Constant' ? node.attributes.get('value') : undefined;
      if (t?.kind === 'tensor' && FLOAT_TYPES.has(t.value.dataType ?? 0))
        layerParameters += tensorElements(t.value.dims);
      flops += nodeFlops(node, bind);
      for (const sub of node.subgraphs())
        for (const g of allGraphs(sub)) for (const n of g.nodes) flops += nodeFlops(n, bind);
    }
    return {
      layer: layer.index + 1,
      index: layer.index,
      nodes: layer.nodes.length,
      input: describe(layer.input),
      cut: describe(layer.output),
      parameters: layerParameters,
      flops,
    };
  });
  let flops = 0;
  for (const g of allGraphs(graph)) for (const n of g.nodes) flops += nodeFlops(n, bind);
  for (const v of graph.dataInputs) for (const d of v.shape ?? []) if (typeof d === 'string') bind(d);

  return {
    file,
    irVersion: model.irVersion,
    producer: model.producerName,
    opsets: model.opsetImports,
    inputs: graph.dataInputs.map(describe),
    outputs: graph.outputs.map(describe),
    nodes,
    opHistogram: Object.fromEntries([...histogram].sort(([a], [b]) => a.localeCompare(b))),
    parameters,
    externalBytes,
    dims: Object.fromEntries(Object.entries(dims).sort(([a], [b]) => a.localeCompare(b))),
    layerPattern: found.pattern,
    layers,
    flops,
    diagnostics: [...inferred.diagnostics, ...found.diagnostics],
  };
}

/** 7.1B, 110M, 4.2K: three significant digits. */
function compact(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, unit] of units) if (n >= size) return `${(n / size).toPrecision(3)}${unit}`;
  return String(n);
}

/** The text form `offramp inspect` prints. */
export function formatInspectReport(report: InspectReport): string {
  const dims = Object.entries(report.dims)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const lines = [
    `${report.file}: IR ${report.irVersion}${report.producer ? ` (${report.producer})` : ''}, opsets ${report.opsets
      .map((o) => `${o.domain || 'ai.onnx'} ${o.version}`)
      .join(', ')}, ${report.nodes} nodes`,
    `inputs:  ${report.inputs.map((v) => `${v.name}: ${v.type}`).join(', ')}`,
    `outputs: ${report.outputs.map((v) => `${v.name}: ${v.type}`).join(', ')}`,
    `parameters: ${compact(report.parameters)}${report.externalBytes ? ` (${compact(report.externalBytes)}B in external data)` : ''}; FLOPs at ${dims || 'static shapes'}: ${compact(report.flops)}`,
    `layers (${report.layerPattern}): ${report.layers.length}`,
  ];
  const width = Math.max(3, ...report.layers.map((l) => l.cut.name.length));
  for (const l of report.layers)
    lines.push(
      `  ${String(l.layer).padStart(3)}  ${String(l.nodes).padStart(5)} nodes  ${compact(l.parameters).padStart(6)} params  ${compact(l.flops).padStart(6)} FLOPs  cut ${l.cut.name.padEnd(width)}  ${l.cut.type}`,
    );
  lines.push(
    `ops: ${Object.entries(report.opHistogram)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}
