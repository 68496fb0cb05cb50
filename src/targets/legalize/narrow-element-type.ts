import { allGraphs, type Builder, ElementType, type Model, type Value } from '../../ir/index.js';
import { inferElementTypes } from './element-types.js';
import { newBuilder, setOutput } from './graph-edit.js';
import { encodeTensor, tensorNumbers } from './tensor-values.js';

/** Inputs that ONNX requires to be int64 (shapes, axes, indices into shapes): they stay int64. */
const INDEX_PORTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1],
  Unsqueeze: [1],
  Squeeze: [1],
  Expand: [1],
  Tile: [1],
  ConstantOfShape: [0],
  Slice: [1, 2, 3, 4],
  Split: [1],
  TopK: [1],
  Pad: [1],
  CumSum: [1],
  ReduceSum: [1],
  ReduceMax: [1],
  ReduceMin: [1],
  ReduceMean: [1],
  ReduceProd: [1],
  ReduceLogSumExp: [1],
  ReduceSumSquare: [1],
  ReduceL1: [1],
  ReduceL2: [1],
};

/** Ops whose output type is fixed by ONNX: their outputs cannot be narrowed in place. */
const FIXED_OUTPUT = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'TopK']);

export interface NarrowStatistics {
  readonly inputs: string[];
  readonly initializers: number;
  readonly values: number;
  readonly casts: number;
  readonly outputsCastBack: string[];
  /** Constants outside the narrower type's range, clamped (int) or rounded to ±Infinity (float). */
  readonly saturated: number;
  /** Values left in the wide type because an op fixes their type; the placement check reports them. */
  readonly fixed: number;
}

/** Values that feed a shape/axes port, followed back through the nodes that compute them (up to Shape). */
function indexCones(model: Model, types: Map<Value, number>, from: number): Set<Value> {
  const keep = new Set<Value>();
  const stack: Value[] = [];
  for (const graph of allGraphs(model.graph)) {
    for (const node of graph.nodes) {
      for (const port of INDEX_PORTS[node.op] ?? []) {
        const v = node.inputs[port];
        if (v) stack.push(v);
      }
    }
  }
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (keep.has(v) || types.get(v) !== from) continue;
    keep.add(v);
    const producer = v.producer;
    if (!producer || producer.op === 'Shape') continue;
    for (const input of producer.inputs) if (input) stack.push(input);
  }
  return keep;
}

function narrowNumbers(numbers: number[], to: number): { numbers: number[]; saturated: number } {
  let saturated = 0;
  const out = numbers.map((n) => {
    if (to === ElementType.int32) {
      const clamped = Math.max(-2147483648, Math.min(2147483647, n));
      if (clamped !== n) saturated++;
      return clamped;
    }
    const rounded = Math.fround(n);
    if (!Number.isFinite(rounded) && Number.isFinite(n)) saturated++;
    return rounded;
  });
  return { numbers: out, saturated };
}

/**
 * Retypes every `from` value of a model to `to` (int64 → int32, float64 → float32): graph inputs,
 * initializers, Cast targets and the values that follow them. Shape/axes operands keep int64, as ONNX
 * requires. The main graph's outputs keep their declared type through one Cast at the end, so the
 * artifact's outputs do not change; its inputs do (the manifest must say so).
 */
export function narrowElementType(model: Model, from: number, to: number): NarrowStatistics {
  const types = inferElementTypes(model);
  const keep = indexCones(model, types, from);
  const narrow = (v: Value) => types.get(v) === from && !keep.has(v);
  const retype = (v: Value) => {
    if (v.type) v.type = { ...v.type, elementType: to };
  };
  const stats = {
    inputs: [] as string[],
    initializers: 0,
    values: 0,
    casts: 0,
    outputsCastBack: [] as string[],
    saturated: 0,
    fixed: 0,
  };
  const mainOutputs = model.graph.outputs.filter(narrow);

  for (const graph of allGraphs(model.graph)) {
    for (const v of graph.inputs) {
      if (!narrow(v) || graph.initializers.has(v.name)) continue;
      retype(v);
      stats.inputs.push(v.name);
    }
    for (const init of graph.initializers.values()) {
      if (!narrow(init.value)) continue;
      const numbers = tensorNumbers(init.tensor);
      if (!numbers) continue;
      const narrowed = narrowNumbers(numbers, to);
      stats.saturated += narrowed.saturated;
      const dims = (init.tensor.dims ?? []).map(Number);
      init.tensor = encodeTensor(init.value.name, to, dims, narrowed.numbers);
      retype(init.value);
      stats.initializers++;
    }
    for (const node of graph.nodes) {
      for (const out of node.outputs) {
        if (!narrow(out)) continue;
        if (FIXED_OUTPUT.has(node.op)) {
          stats.fixed++;
          continue;
        }
        if (node.op === 'Cast' && Number(node.intAttribute('to', 0n)) === from) {
          node.attributes.set('to', { kind: 'int', value: BigInt(to) });
          stats.casts++;
        }
        retype(out);
        stats.values++;
      }
    }
  }
  if (mainOutputs.length > 0) castOutputsBack(newBuilder(model), mainOutputs, from, stats.outputsCastBack);
  return stats;
}

/** Keeps each main-graph output's declared type: the narrowed value is renamed and Cast back under its name. */
function castOutputsBack(b: Builder, outputs: Value[], from: number, names: string[]): void {
  for (const output of outputs) {
    const name = output.name;
    output.name = b.uniqueName(`${name}/narrowed`);
    const [cast] = b.add({
      op: 'Cast',
      inputs: [output],
      attributes: { to: from },
      name: `${name}/cast_back`,
    });
    const graph = b.graph;
    cast!.name = name;
    cast!.type = { ...(output.type ?? {}), elementType: from };
    setOutput(cast!.producer!, 0, cast!);
    graph.outputs = graph.outputs.map((v) => (v === output ? cast! : v));
    names.push(name);
  }
}
