import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TensorToWrite } from '../../src/io/index.js';
import { discoverLayers, readModel, writeModel } from '../../src/ir/index.js';
import { parameterInputName } from '../../src/passes/insert-policy.js';
import { runChainPipeline } from '../../src/passes/pipeline.js';
import {
  fixturePath,
  loadEncoderFixture,
  planFor,
  runOverEval,
  scalarFeed,
} from '../support/encoder-fixture.js';
import { seeded, writeTempSafetensors } from '../support/weights.js';

/**
 * The compiled Mamba exit head (closed form, no loop) against the recurrence written out step by step in
 * TypeScript, on the encoder fixture's real hidden states with seeded weights.
 */
const fixture = loadEncoderFixture();
const quiet = { logSeverityLevel: 3 as const, intraOpNumThreads: 1 };
const [H, E, S, K, R, C] = [64, 128, 8, 4, 4, fixture.classes];
const LAYER = 2;
const EXAMPLES = 48;

const w = {
  in: seeded(2 * E * H, 11, 0.15),
  conv: seeded(E * K, 12, 0.4),
  convBias: seeded(E, 13, 0.1),
  x: seeded((R + 2 * S) * E, 14, 0.15),
  dt: seeded(E * R, 15, 0.3),
  // dt = softplus(≈ −3 ± 1): steps of about 0.05, as Mamba's initialisation aims for.
  dtBias: seeded(E, 16, 1, -3),
  aLog: Float32Array.from({ length: E * S }, (_, k) => Math.log(1 + (k % S))),
  d: seeded(E, 17, 1, 1),
  out: seeded(C * E, 18, 0.3),
};

function writeHeads(): string {
  const p = `exit.${LAYER - 1}.`;
  const tensors: TensorToWrite[] = [
    { name: `${p}in_proj.weight`, shape: [2 * E, H], data: w.in },
    { name: `${p}conv1d.weight`, shape: [E, 1, K], data: w.conv },
    { name: `${p}conv1d.bias`, shape: [E], data: w.convBias },
    { name: `${p}x_proj.weight`, shape: [R + 2 * S, E], data: w.x },
    { name: `${p}dt_proj.weight`, shape: [E, R], data: w.dt },
    { name: `${p}dt_proj.bias`, shape: [E], data: w.dtBias },
    { name: `${p}A_log`, shape: [E, S], data: w.aLog },
    { name: `${p}D`, shape: [E], data: w.d },
    { name: `${p}out_proj.weight`, shape: [C, E], data: w.out },
  ];
  return writeTempSafetensors('heads.safetensors', tensors);
}

const silu = (v: number) => v / (1 + Math.exp(-v));
const softplus = (v: number) => (v > 20 ? v : Math.log1p(Math.exp(v)));
/** x·Wᵀ for one row x (length `inputs`) and W [outputs, inputs]. */
const linear = (x: ArrayLike<number>, weight: Float32Array, outputs: number, inputs: number, at = 0) =>
  Array.from({ length: outputs }, (_, o) => {
    let sum = 0;
    for (let k = 0; k < inputs; k++) sum += weight[o * inputs + k]! * x[at + k]!;
    return sum;
  });

/** The Mamba mixer's recurrence, one time step after another, read at the last position. */
function referenceHead(h: Float32Array, T: number): number[] {
  const xz = Array.from({ length: T }, (_, t) => linear(h, w.in, 2 * E, H, t * H));
  const x = Array.from({ length: T }, (_, t) =>
    Array.from({ length: E }, (_, e) => {
      let sum = w.convBias[e]!;
      for (let k = 0; k < K; k++) {
        const src = t - (K - 1) + k;
        if (src >= 0) sum += w.conv[e * K + k]! * xz[src]![e]!;
      }
      return silu(sum);
    }),
  );
  const state = new Float64Array(E * S);
  let y: number[] = [];
  for (let t = 0; t < T; t++) {
    const dbc = linear(x[t]!, w.x, R + 2 * S, E);
    const dt = linear(dbc, w.dt, E, R).map((v, e) => softplus(v + w.dtBias[e]!));
    y = Array.from({ length: E }, (_, e) => {
      let read = 0;
      for (let n = 0; n < S; n++) {
        const a = -Math.exp(w.aLog[e * S + n]!);
        const k = e * S + n;
        state[k] = Math.exp(dt[e]! * a) * state[k]! + dt[e]! * x[t]![e]! * dbc[R + n]!;
        read += state[k]! * dbc[R + S + n]!;
      }
      return read + w.d[e]! * x[t]![e]!;
    });
  }
  const z = xz[T - 1]!.slice(E);
  const gated = y.map((v, e) => v * silu(z[e]!));
  return linear(gated, w.out, C, E);
}

describe('Mamba exit head (DYNAMAX)', () => {
  let hidden: Float32Array;
  beforeAll(async () => {
    // The backbone with layer 2's cut as an extra output: the head's input, straight from onnxruntime.
    const { model } = await readModel(fixturePath('backbone.onnx'));
    const cut = discoverLayers(model!).layers[LAYER - 1]!.output;
    model!.graph.outputs.push(cut);
    const session = await ort.InferenceSession.create(writeModel(model!), quiet);
    const t = fixture.sequence;
    const out = await session.run({
      input_ids: new ort.Tensor('int64', fixture.inputIds.slice(0, EXAMPLES * t), [EXAMPLES, t]),
      attention_mask: new ort.Tensor('int64', fixture.attentionMask.slice(0, EXAMPLES * t), [EXAMPLES, t]),
    });
    hidden = out[cut.name]!.data as Float32Array;
  });

  it('computes the recurrence’s last-position logits on every example (closed form, no Loop)', async () => {
    const result = await runChainPipeline(
      {
        ...planFor('maxprob'),
        exits: [LAYER],
        head: {
          kind: 'weights',
          pool: 'none',
          classifier: { kind: 'mamba', key: 'exit.{i}.' },
          weightsFile: writeHeads(),
        },
      },
      { verifyEach: true },
    );
    expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    const ops = new Set(
      result.model!.graph.nodes.flatMap((n) => [
        n.op,
        ...[...n.subgraphs()].flatMap((g) => g.nodes.map((m) => m.op)),
      ]),
    );
    expect(ops.has('Loop') || ops.has('Scan')).toBe(false);
    const session = await ort.InferenceSession.create(result.bytes!, quiet);
    const run = await runOverEval(
      session,
      16,
      { [parameterInputName('threshold')]: scalarFeed('float32', 0) },
      EXAMPLES,
    );
    expect(new Set(run.exitLayer)).toEqual(new Set([LAYER]));
    const T = fixture.sequence;
    let worst = 0;
    let spread = 0;
    for (let e = 0; e < EXAMPLES; e++) {
      const expected = referenceHead(hidden.subarray(e * T * H, (e + 1) * T * H), T);
      for (let c = 0; c < C; c++) {
        worst = Math.max(worst, Math.abs(run.logits[e * C + c]! - expected[c]!));
        spread = Math.max(spread, Math.abs(expected[c]!));
      }
    }
    expect(spread).toBeGreaterThan(0.05); // the head's output is not trivially zero
    expect(worst).toBeLessThan(1e-4 * Math.max(1, spread));
  });
});
