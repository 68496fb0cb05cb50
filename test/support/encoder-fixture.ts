import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseNpy } from '../../src/io/index.js';
import type { CompilePlan, HeadPlan, PolicyPlan } from '../../src/passes/plan.js';

export const FIXTURE = resolve(import.meta.dirname, '../../fixtures/encoder');
export const fixturePath = (...parts: string[]) => join(FIXTURE, ...parts);

function npy(path: string) {
  const { array, diagnostics } = parseNpy(readFileSync(path), path);
  if (!array) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return array;
}

export interface EncoderFixture {
  readonly examples: number;
  readonly sequence: number;
  readonly classes: number;
  readonly layers: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly labels: BigInt64Array;
  /** Reference per-layer logits [E, N, C] of each head family. */
  readonly layerLogits: Float32Array;
  readonly palbertLogits: Float32Array;
  readonly jeiLogits: Float32Array;
  readonly pooled: Float32Array;
  readonly policies: Record<
    string,
    { settings: Record<string, number | boolean>; exit_layer: number[]; prediction: number[] }[]
  >;
}

let cached: EncoderFixture | undefined;

export function loadEncoderFixture(): EncoderFixture {
  if (cached) return cached;
  const ids = npy(fixturePath('eval/input_ids.npy'));
  const logits = npy(fixturePath('reference/layer_logits.npy'));
  cached = {
    examples: ids.shape[0]!,
    sequence: ids.shape[1]!,
    layers: logits.shape[1]!,
    classes: logits.shape[2]!,
    inputIds: ids.data as BigInt64Array,
    attentionMask: npy(fixturePath('eval/attention_mask.npy')).data as BigInt64Array,
    labels: npy(fixturePath('eval/labels.npy')).data as BigInt64Array,
    layerLogits: logits.data as Float32Array,
    palbertLogits: npy(fixturePath('reference/palbert_logits.npy')).data as Float32Array,
    jeiLogits: npy(fixturePath('reference/jei_logits.npy')).data as Float32Array,
    pooled: npy(fixturePath('reference/pooled.npy')).data as Float32Array,
    policies: JSON.parse(readFileSync(fixturePath('reference/policies.json'), 'utf8')),
  };
  return cached;
}

const HEADS = fixturePath('heads.safetensors');
const pabeeHeads: HeadPlan = {
  kind: 'weights',
  pool: 'cls',
  pooler: 'pabee.pooler.',
  classifier: { kind: 'linear', key: 'pabee.classifier.{i}.' },
  weightsFile: HEADS,
};
const allLayers = [1, 2, 3, 4, 5, 6];

/** The fixture's compile plan for each reference policy, as its `.ramp` example states it. */
export function planFor(kind: PolicyPlan['kind'], parameters: Record<string, number> = {}): CompilePlan {
  const base = { name: `encoder_${kind}`, backbone: fixturePath('backbone.onnx'), minExit: 1 };
  switch (kind) {
    case 'qexit':
    case 'pondernet':
      return {
        ...base,
        exits: allLayers,
        head: {
          kind: 'weights',
          pool: 'cls',
          pooler: 'palbert.pooler.',
          classifier: { kind: 'linear', key: 'palbert.classifier.' },
          weightsFile: HEADS,
        },
        policy: { kind, parameters, weightsPrefix: 'palbert.lambda.', weightsFile: HEADS, lambdaBlocks: 1 },
      };
    case 'jei':
      return {
        ...base,
        exits: [1, 2, 3, 4, 5],
        head: {
          kind: 'weights',
          pool: 'cls',
          classifier: { kind: 'linear', key: 'jei.im.{i}.' },
          weightsFile: HEADS,
        },
        policy: { kind, parameters, weightsPrefix: 'jei.gate.{i}.', weightsFile: HEADS },
      };
    default:
      return {
        ...base,
        exits: allLayers,
        head: pabeeHeads,
        policy: { kind, parameters, ...(kind === 'entropy' ? { normalizedEntropy: true } : {}) },
      };
  }
}

export interface RunResult {
  readonly exitLayer: number[];
  readonly prediction: number[];
  readonly logits: Float32Array;
  readonly confidence: Float32Array;
}

/** Runs a compiled model over the whole eval set in batches; `feedsExtra` adds parameter inputs. */
export async function runOverEval(
  session: ort.InferenceSession,
  batch: number,
  feedsExtra: Record<string, ort.Tensor>,
  limit?: number,
): Promise<RunResult> {
  const f = loadEncoderFixture();
  const total = Math.min(limit ?? f.examples, f.examples);
  const exitLayer: number[] = [];
  const prediction: number[] = [];
  const logits = new Float32Array(total * f.classes);
  const confidence = new Float32Array(total);
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    const slice = (a: BigInt64Array) => a.slice(start * f.sequence, (start + n) * f.sequence);
    const out = await session.run({
      input_ids: new ort.Tensor('int64', slice(f.inputIds), [n, f.sequence]),
      attention_mask: new ort.Tensor('int64', slice(f.attentionMask), [n, f.sequence]),
      ...feedsExtra,
    });
    const l = out.logits!.data as Float32Array;
    logits.set(l, start * f.classes);
    confidence.set(out.confidence!.data as Float32Array, start);
    for (let b = 0; b < n; b++) {
      exitLayer.push(Number((out.exit_layer!.data as BigInt64Array)[b]));
      let best = 0;
      for (let c = 1; c < f.classes; c++) if (l[b * f.classes + c]! > l[b * f.classes + best]!) best = c;
      prediction.push(best);
    }
  }
  return { exitLayer, prediction, logits, confidence };
}

/** A scalar feed of the given ONNX type. */
export function scalarFeed(dtype: 'int64' | 'float32' | 'float64', value: number): ort.Tensor {
  if (dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.of(BigInt(value)), []);
  if (dtype === 'float64') return new ort.Tensor('float64', Float64Array.of(value), []);
  return new ort.Tensor('float32', Float32Array.of(value), []);
}
