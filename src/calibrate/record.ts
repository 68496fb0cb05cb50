import * as ort from 'onnxruntime-node';
import type { NpyArray } from '../io/index.js';
import { writeModel } from '../ir/index.js';
import { runChainPipeline } from '../passes/pipeline.js';
import type { CompilePlan } from '../passes/plan.js';
import { keepOnly } from '../passes/segments.js';
import type { ExitHeadData } from '../policies/index.js';

export interface HeadRecording {
  readonly exitLayers: readonly number[];
  readonly classes: number;
  readonly examples: number;
  readonly heads: readonly ExitHeadData[];
  /** Wall time of the recording run (every layer and head computed once per example). */
  readonly wallMs: number;
}

/**
 * Runs the backbone once over the data with every exit head as an output (no policy, no skipping) and
 * returns each exit's logits (and pooled vectors, when the policy reads them): everything calibration
 * needs to replay any setting without rerunning the model.
 */
export async function recordHeads(
  plan: CompilePlan,
  data: ReadonlyMap<string, NpyArray>,
  options: { batch?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<HeadRecording> {
  const built = await runChainPipeline(plan, { stopAfter: 'insert-exit-heads' });
  if (!built.model) throw new Error('the recording model could not be built');
  const exits = built.exits;
  const outputs = exits.flatMap((e) => (e.pooled ? [e.logits, e.pooled] : [e.logits]));
  outputs.forEach((v, k) => {
    v.name = `offramp.record.${k}`;
  });
  keepOnly(built.model.graph, outputs);
  const session = await ort.InferenceSession.create(writeModel(built.model), {
    logSeverityLevel: 3,
    intraOpNumThreads: 1,
  });
  const inputNames = session.inputNames;
  const missing = inputNames.filter((n) => !data.has(n));
  if (missing.length > 0) {
    await session.release();
    throw new Error(
      `the model reads ${missing.map((n) => `'${n}'`).join(', ')}, which the data lacks (it has ${[...data.keys()].join(', ') || 'nothing'})`,
    );
  }
  const first = data.get(inputNames[0]!)!;
  const examples = first.shape[0]!;
  const batch = options.batch ?? 32;
  const logits: number[][] = exits.map(() => []);
  const pooled: number[][] = exits.map(() => []);
  const started = performance.now();
  for (let start = 0; start < examples; start += batch) {
    const n = Math.min(batch, examples - start);
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of inputNames) {
      const array = data.get(name)!;
      const width = array.shape.slice(1).reduce((a, b) => a * b, 1);
      feeds[name] = new ort.Tensor(
        array.dtype as 'int64',
        array.data.slice(start * width, (start + n) * width) as BigInt64Array,
        [n, ...array.shape.slice(1)],
      );
    }
    const out = await session.run(feeds);
    let k = 0;
    exits.forEach((e, i) => {
      logits[i]!.push(...(out[`offramp.record.${k++}`]!.data as Float32Array));
      if (e.pooled) pooled[i]!.push(...(out[`offramp.record.${k++}`]!.data as Float32Array));
    });
    options.onProgress?.(start + n, examples);
  }
  const wallMs = performance.now() - started;
  await session.release();
  const classes = logits[0]!.length / examples;
  return {
    exitLayers: exits.map((e) => e.layer),
    classes,
    examples,
    heads: exits.map((e, i) => ({
      logits: Float32Array.from(logits[i]!),
      ...(e.pooled ? { pooled: Float32Array.from(pooled[i]!) } : {}),
    })),
    wallMs,
  };
}
