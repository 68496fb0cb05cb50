/**
 * The names a `.ramp` file may use from its ONNX backbone, behind a small interface so that linking does
 * not depend on how the model is read. Built from the Offramp IR (`src/ir`).
 */
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { discoverLayers, importModel, type Model } from '../ir/index.js';

export interface LayerLayout {
  /** Number of layers found. */
  readonly count: number;
  /** The pattern that matched (`{i}` = 0-based module index). */
  readonly pattern: string;
  /** Hidden state after each layer, in layer order. */
  readonly cuts: readonly string[];
  /** Hidden size H, when the model's types or the layers' LayerNorm scales tell it. */
  readonly hiddenSize?: number;
}

export interface ModelSymbols {
  readonly file: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodeNames: readonly string[];
  readonly valueNames: ReadonlySet<string>;
  readonly initializerShapes: ReadonlyMap<string, readonly number[]>;
  /** Finds the repeated layers by a name pattern, or by the known exporter patterns when none is given. */
  discoverLayers(pattern?: string): { layout?: LayerLayout; diagnostics: Diagnostic[] };
}

function hiddenSizeOf(
  model: Model,
  layerNodes: readonly { op: string; inputs: readonly ({ name: string } | undefined)[] }[],
  cut: string,
): number | undefined {
  const graph = model.graph;
  const typed = [...graph.nodes.flatMap((n) => n.outputs), ...graph.outputs].find((v) => v.name === cut)?.type
    ?.shape;
  const last = typed?.[typed.length - 1];
  if (typeof last === 'number') return last;
  for (const node of layerNodes) {
    if (node.op !== 'LayerNormalization') continue;
    const scale = node.inputs[1] && graph.initializers.get(node.inputs[1].name);
    const dims = scale?.tensor.dims;
    if (dims && dims.length === 1) return Number(dims[0]);
  }
  return undefined;
}

export function modelSymbolsFromIr(model: Model, file: string): ModelSymbols {
  const graph = model.graph;
  const valueNames = new Set<string>();
  for (const v of graph.inputs) valueNames.add(v.name);
  for (const n of graph.nodes) for (const v of n.outputs) valueNames.add(v.name);
  const initializerShapes = new Map<string, readonly number[]>();
  for (const [name, init] of graph.initializers) {
    valueNames.add(name);
    initializerShapes.set(name, (init.tensor.dims ?? []).map(Number));
  }
  return {
    file,
    inputs: graph.inputs.filter((v) => !graph.initializers.has(v.name)).map((v) => v.name),
    outputs: graph.outputs.map((v) => v.name),
    nodeNames: graph.nodes.map((n) => n.name),
    valueNames,
    initializerShapes,
    discoverLayers(pattern) {
      const found = discoverLayers(model, { ...(pattern ? { pattern } : {}), file });
      if (found.layers.length === 0) return { diagnostics: found.diagnostics };
      const cuts = found.layers.map((l) => l.output.name);
      const hiddenSize = hiddenSizeOf(model, found.layers[0]!.nodes, cuts[0]!);
      return {
        layout: {
          count: found.layers.length,
          pattern: found.pattern,
          cuts,
          ...(hiddenSize ? { hiddenSize } : {}),
        },
        diagnostics: found.diagnostics,
      };
    },
  };
}

/** Parses ONNX bytes into symbols; a file that is not ONNX yields the IR's OR4xxx diagnostics. */
export function readModelSymbols(
  bytes: Uint8Array,
  file: string,
): { symbols?: ModelSymbols; diagnostics: Diagnostic[] } {
  let imported: ReturnType<typeof importModel>;
  try {
    imported = importModel(bytes, file);
  } catch (error) {
    return {
      diagnostics: [diagnostic('OR4001', { file, reason: (error as Error).message }, { graph: { file } })],
    };
  }
  if (!imported.model) return { diagnostics: imported.diagnostics };
  return { symbols: modelSymbolsFromIr(imported.model, file), diagnostics: imported.diagnostics };
}
