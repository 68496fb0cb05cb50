import * as ort from 'onnxruntime-node';
import type { NpyArray } from '../io/index.js';
import { ElementType, importModel, inferShapes, readModel } from '../ir/index.js';
import { inspectModel } from '../ir/inspect.js';
import { parameterInputName, UNIFORM_INPUT } from '../passes/index.js';
import { runChainPipeline } from '../passes/pipeline.js';
import type { CompilePlan } from '../passes/plan.js';
import { splitSegments } from '../passes/split-segments.js';
import { policySpecs } from '../policies/index.js';

/** One segment of the segmented form: the layers up to an exit, that exit's head and its policy step. */
export interface SegmentCost {
  /** The exit this segment ends at (1-based layer). */
  readonly exitLayer: number;
  /** Median wall time of one batch-1 call: building its feeds and running its session. */
  readonly ms: number;
  /** FLOPs of one batch-1 call at the data's sequence length (`offramp inspect`'s counting rules). */
  readonly flops: number;
}

/** Per-segment costs measured on this machine, and the original backbone measured the same way. */
export interface LatencyModel {
  readonly segments: readonly SegmentCost[];
  /** Median batch-1 latency of the backbone as given (no exits), interleaved with the segments. */
  readonly backboneMs: number;
  readonly backboneFlops: number;
  /** Examples timed (batch 1, the first ones of the data), and passes over them (after one warm-up). */
  readonly examples: number;
  readonly repeats: number;
  readonly sequence: number;
  readonly threads: number;
}

export interface LatencyOptions {
  /** How many of the data's examples to time, one at a time (default 32). */
  readonly examples?: number;
  /** Timed passes over them after one warm-up pass (default 5). */
  readonly repeats?: number;
  /** onnxruntime intra-op threads (default 1). */
  readonly threads?: number;
}

const median = (values: readonly number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function rowTensor(array: NpyArray, k: number): ort.Tensor {
  const width = array.shape.slice(1).reduce((a, b) => a * b, 1);
  return new ort.Tensor(
    array.dtype as 'int64',
    array.data.subarray(k * width, (k + 1) * width) as BigInt64Array,
    [1, ...array.shape.slice(1)],
  );
}

/** A constant feed for a non-data input (a policy parameter at its value, or PonderNet's uniforms). */
function constantFeed(elementType: number, shape: readonly (number | string | undefined)[], value: number) {
  const dims = shape.map((d) => (typeof d === 'number' ? d : 1));
  const count = dims.reduce((a, b) => a * b, 1);
  switch (elementType) {
    case ElementType.int64:
      return new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(Math.trunc(value))), dims);
    case ElementType.float64:
      return new ort.Tensor('float64', new Float64Array(count).fill(value), dims);
    case ElementType.bool:
      return new ort.Tensor('bool', new Uint8Array(count).fill(value ? 1 : 0), dims);
    default:
      return new ort.Tensor('float32', new Float32Array(count).fill(value), dims);
  }
}

/**
 * The latency model calibration reports cost in: cuts the model into its segmented form (one model per exit:
 * the layers since the previous exit, the exit's head, its policy step), times every segment on this machine
 * at batch 1 over the first examples of the data, a few passes, and keeps each segment's median. A sample
 * that exits at exit k costs the sum of segments 1..k. The backbone as given is timed in the same loop, so
 * the two are measured side by side.
 */
export async function measureSegments(
  plan: CompilePlan,
  data: ReadonlyMap<string, NpyArray>,
  options: LatencyOptions = {},
): Promise<LatencyModel> {
  const flat = await runChainPipeline(plan, { stopAfter: 'insert-policy' });
  if (!flat.model || !flat.hiddenInput) throw new Error('the segmented form could not be built');
  const model = flat.model;
  // Shapes on every value, so that segment inputs carry them and FLOPs can be counted per segment.
  inferShapes(model.graph, { file: plan.backbone, opset: model.opset('') ?? 17 });
  const segments = splitSegments(model, flat.exits, flat.hiddenInput);
  const dataInputs = [...data.keys()].filter((n) => n !== 'labels');
  const first = data.get(dataInputs[0]!)!;
  const examples = Math.min(options.examples ?? 32, first.shape[0]!);
  const sequence = first.shape[1] ?? 1;
  const repeats = options.repeats ?? 5;
  const threads = options.threads ?? 1;
  const flopsOf = (bytes: Uint8Array, file: string) => {
    const imported = importModel(bytes, file).model;
    return imported ? inspectModel(imported, { sequenceLength: sequence, batchSize: 1, file }).flops : 0;
  };
  const backboneModel = (await readModel(plan.backbone)).model;
  const backboneFlops = backboneModel
    ? inspectModel(backboneModel, { sequenceLength: sequence, batchSize: 1, file: plan.backbone }).flops
    : 0;

  // Inputs that are neither data nor handed on by an earlier segment: policy parameters and uniforms.
  const spec = policySpecs[plan.policy.kind];
  const constants = new Map<string, ort.Tensor>();
  for (const input of model.graph.inputs) {
    if (data.has(input.name)) continue;
    const parameter = spec.parameters.find((p) => parameterInputName(p.name) === input.name);
    const given = parameter ? (plan.policy.parameters[parameter.name] ?? parameter.default) : 0.5;
    const value = typeof given === 'number' ? given : (given as readonly number[])[0]!;
    if (parameter || input.name.startsWith(UNIFORM_INPUT))
      constants.set(input.name, constantFeed(input.type?.elementType ?? 1, input.type?.shape ?? [], value));
  }

  const sessionOptions = { intraOpNumThreads: threads, logSeverityLevel: 3 } as const;
  const sessions = await Promise.all(
    segments.map((s) => ort.InferenceSession.create(s.bytes, sessionOptions)),
  );
  const backbone = await ort.InferenceSession.create(plan.backbone, sessionOptions);
  const times = segments.map(() => [] as number[]);
  const backboneTimes: number[] = [];
  try {
    for (let pass = 0; pass <= repeats; pass++) {
      const timed = pass > 0; // pass 0 warms up
      for (let k = 0; k < examples; k++) {
        const values = new Map<string, ort.Tensor>();
        for (const name of dataInputs) values.set(name, rowTensor(data.get(name)!, k));
        for (const [s, segment] of segments.entries()) {
          const started = performance.now();
          const feeds: Record<string, ort.Tensor> = {};
          for (const name of segment.inputs) {
            const v = values.get(name) ?? constants.get(name);
            if (!v) throw new Error(`segment ${s + 1} reads '${name}', which nothing provides`);
            feeds[name] = v;
          }
          const out = await sessions[s]!.run(feeds);
          if (timed) times[s]!.push(performance.now() - started);
          for (const [name, tensor] of Object.entries(out)) values.set(name, tensor);
        }
        const feeds = Object.fromEntries(backbone.inputNames.map((n) => [n, values.get(n)!]));
        const started = performance.now();
        await backbone.run(feeds);
        if (timed) backboneTimes.push(performance.now() - started);
      }
    }
  } finally {
    await Promise.all([...sessions, backbone].map((s) => s.release()));
  }
  return {
    segments: segments.map((s, k) => ({
      exitLayer: s.exitLayer,
      ms: median(times[k]!),
      flops: flopsOf(s.bytes, `segment ${k + 1}`),
    })),
    backboneMs: median(backboneTimes),
    backboneFlops,
    examples,
    repeats,
    sequence,
    threads,
  };
}

/**
 * Mean cost per example of a run whose samples exit at `exitLayers` (1-based layers): each sample pays the
 * segments up to and including its exit's.
 */
export function meanCost(
  latency: LatencyModel,
  exitLayers: ArrayLike<number>,
): { readonly ms: number; readonly flops: number } {
  const cumulative = { ms: [] as number[], flops: [] as number[] };
  let ms = 0;
  let flops = 0;
  const index = new Map<number, number>();
  latency.segments.forEach((s, k) => {
    ms += s.ms;
    flops += s.flops;
    cumulative.ms.push(ms);
    cumulative.flops.push(flops);
    index.set(s.exitLayer, k);
  });
  let totalMs = 0;
  let totalFlops = 0;
  for (let i = 0; i < exitLayers.length; i++) {
    const k = index.get(exitLayers[i]!);
    if (k === undefined) throw new Error(`no segment ends at layer ${exitLayers[i]}`);
    totalMs += cumulative.ms[k]!;
    totalFlops += cumulative.flops[k]!;
  }
  const n = Math.max(1, exitLayers.length);
  return { ms: totalMs / n, flops: totalFlops / n };
}
