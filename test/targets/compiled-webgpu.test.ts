/**
 * Compiled Offramp models on WebGPU with nothing on the CPU: compile the encoder fixture, legalize for
 * webgpu-native, then run on onnxruntime-node's WebGPU EP (SwiftShader) and in headless Chromium
 * (onnxruntime-web's native WebGPU entry), both with CPU fallback disabled, against the CPU EP running
 * the unlegalized model. Needs `bash scripts/ci-setup-webgpu.sh`.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allGraphs, importModel, type Model, writeModel } from '../../src/ir/index.js';
import { runChainPipeline } from '../../src/passes/pipeline.js';
import {
  checkModelPlacement,
  legalizeForTarget,
  loadBuiltinProfile,
  type TargetProfile,
} from '../../src/targets/index.js';
import { loadEncoderFixture, planFor } from '../support/encoder-fixture.js';
import { type BrowserFeeds, openWebGpuBrowser, type WebGpuBrowser } from '../support/webgpu/browser.js';
import { createCpuSession, createWebGpuSession } from '../support/webgpu/node-session.js';

const EXAMPLES = 32;

/** Parameter settings that make samples exit at different layers on the fixture. */
const POLICIES = {
  pabee: { name: 'offramp.patience', value: 2 },
  maxprob: { name: 'offramp.threshold', value: 0.42 },
} as const;
type Policy = keyof typeof POLICIES;

interface Compiled {
  readonly cpuBytes: Uint8Array;
  readonly before: Model;
  readonly legalized: Model;
  readonly legalizedBytes: Uint8Array;
  readonly diagnostics: ReturnType<typeof legalizeForTarget>['diagnostics'];
  readonly hostNodes: readonly string[];
}

let profile: TargetProfile;
const compiled = new Map<Policy, Compiled>();

beforeAll(async () => {
  profile = await loadBuiltinProfile('webgpu-native');
  for (const policy of Object.keys(POLICIES) as Policy[]) {
    const pipeline = await runChainPipeline(planFor(policy));
    if (!pipeline.bytes) throw new Error(pipeline.diagnostics.map((d) => d.message).join('\n'));
    const before = importModel(pipeline.bytes).model!;
    const legalized = importModel(pipeline.bytes).model!;
    const { diagnostics, hostNodes } = legalizeForTarget(legalized, profile);
    compiled.set(policy, {
      cpuBytes: pipeline.bytes,
      before,
      legalized,
      legalizedBytes: writeModel(legalized),
      diagnostics,
      hostNodes,
    });
  }
}, 60_000);

function evalBatch() {
  const f = loadEncoderFixture();
  const n = EXAMPLES * f.sequence;
  return {
    dims: [EXAMPLES, f.sequence],
    ids: f.inputIds.slice(0, n),
    mask: f.attentionMask.slice(0, n),
    classes: f.classes,
  };
}

/** The CPU EP on the model as compiled (int64 ids, int64 patience): the reference. */
async function cpuReference(policy: Policy) {
  const { dims, ids, mask } = evalBatch();
  const p = POLICIES[policy];
  const session = await createCpuSession(compiled.get(policy)!.cpuBytes);
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
    [p.name]:
      policy === 'pabee'
        ? new ort.Tensor('int64', BigInt64Array.of(BigInt(p.value)), [])
        : new ort.Tensor('float32', Float32Array.of(p.value), []),
  });
  await session.release();
  return outputsOf(out.logits!.data as Float32Array, out.exit_layer!.data as BigInt64Array);
}

function outputsOf(logits: ArrayLike<number>, exitLayer: ArrayLike<bigint | number>) {
  const { classes } = evalBatch();
  const prediction = Array.from({ length: EXAMPLES }, (_, b) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[b * classes + c]! > logits[b * classes + best]!) best = c;
    return best;
  });
  return { logits: Float32Array.from(logits), exitLayer: Array.from(exitLayer, Number), prediction };
}

function expectAgreement(got: ReturnType<typeof outputsOf>, want: ReturnType<typeof outputsOf>) {
  expect(got.exitLayer).toEqual(want.exitLayer);
  expect(got.prediction).toEqual(want.prediction);
  const worst = Math.max(...got.logits.map((v, i) => Math.abs(v - want.logits[i]!)));
  expect(worst).toBeLessThan(1e-3);
}

describe.each(Object.keys(POLICIES) as Policy[])('%s compiled for webgpu-native', (policy) => {
  it('legalizes: the verifier is clean and no node is left off the device, shape nodes included', () => {
    const c = compiled.get(policy)!;
    expect(c.diagnostics).toEqual([]);
    const before = checkModelPlacement(c.before, profile);
    const after = checkModelPlacement(c.legalized, profile);
    // Before: the int64 position-id Range and its int64 Cast/Abs chain, the int64 attention mask, and
    // (PABEE) int64 counters and Or; all named by the check.
    const opsBefore = new Set(before.map((d) => /\((\w+)\)/.exec(d.message)?.[1]));
    for (const op of ['Range', 'Cast', 'Abs', 'Unsqueeze']) expect(opsBefore).toContain(op);
    if (policy === 'pabee') for (const op of ['Or', 'Equal', 'Where']) expect(opsBefore).toContain(op);
    // After: nothing. The int64 Shape→Gather→Unsqueeze→Concat operands of the attention Reshapes (in the
    // If branches too), which ORT would keep on the CPU as "shape nodes", are folded by fold-shape-values
    // into constants from inferShapes' symbolic values ([batch, sequence, 4, 16] → [0, 0, 4, 16]).
    expect(after).toEqual([]);
    expect(c.hostNodes).toEqual([]);
    // No Gather over a shape is left either (what the check would name, or legalization record as host work).
    const shapeGathers = [...allGraphs(c.legalized.graph)].flatMap((g) =>
      g.nodes.filter((n) => n.op === 'Gather' && n.inputs[0]?.producer?.op === 'Shape').map((n) => n.name),
    );
    expect(shapeGathers).toEqual([]);
    const inputs = Object.fromEntries(c.legalized.graph.inputs.map((v) => [v.name, v.type?.elementType]));
    expect(inputs).toMatchObject({ input_ids: 6, attention_mask: 6 });
    const exitLayer = c.legalized.graph.outputs.find((v) => v.name === 'exit_layer');
    expect(exitLayer?.type?.elementType).toBe(7);
  });

  it('runs on onnxruntime-node WebGPU with CPU fallback disabled, matching the CPU EP', async () => {
    const { dims, ids, mask } = evalBatch();
    const p = POLICIES[policy];
    const session = await createWebGpuSession(compiled.get(policy)!.legalizedBytes);
    const out = await session.run({
      input_ids: new ort.Tensor('int32', Int32Array.from(ids, Number), dims),
      attention_mask: new ort.Tensor('int32', Int32Array.from(mask, Number), dims),
      [p.name]:
        policy === 'pabee'
          ? new ort.Tensor('int32', Int32Array.of(p.value), [])
          : new ort.Tensor('float32', Float32Array.of(p.value), []),
    });
    await session.release();
    const want = await cpuReference(policy);
    expect(new Set(want.exitLayer).size).toBeGreaterThan(1);
    expectAgreement(outputsOf(out.logits!.data as Float32Array, out.exit_layer!.data as BigInt64Array), want);
  }, 60_000);
});

describe('pabee in headless Chromium (onnxruntime-web native WebGPU entry)', () => {
  let browser: WebGpuBrowser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('runs with CPU fallback disabled, matching the CPU EP', async () => {
    browser = await openWebGpuBrowser();
    const { dims, ids, mask } = evalBatch();
    const feeds: BrowserFeeds = {
      input_ids: { type: 'int32', dims, data: Array.from(ids, Number) },
      attention_mask: { type: 'int32', dims, data: Array.from(mask, Number) },
      'offramp.patience': { type: 'int32', dims: [], data: [POLICIES.pabee.value] },
    };
    const got = await browser.run(compiled.get('pabee')!.legalizedBytes, feeds, { entry: 'webgpu' });
    expectAgreement(outputsOf(got.logits!.data, got.exit_layer!.data), await cpuReference('pabee'));
  }, 90_000);
});
