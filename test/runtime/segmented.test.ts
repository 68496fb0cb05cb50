import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { compactRows, planCompaction } from '../../src/runtime/compaction.js';
import { CompiledModel } from '../../src/runtime/node-session.js';
import { SegmentedModel } from '../../src/runtime/segmented-session.js';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();
const scratch = mkdtempSync(join(tmpdir(), 'offramp-seg-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const source = (policy: string) => `
model seg {
  backbone "${fixturePath('backbone.onnx')}" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..6 {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" { pooler: "pabee.pooler.", linear: "pabee.classifier.{i}." }
  }
  ${policy}
  target cpu { form: segmented }
}
`;

function batchInputs(start: number, n: number) {
  const t = fixture.sequence;
  return {
    input_ids: {
      elementType: 'int64' as const,
      dims: [n, t],
      data: fixture.inputIds.slice(start * t, (start + n) * t),
    },
    attention_mask: {
      elementType: 'int64' as const,
      dims: [n, t],
      data: fixture.attentionMask.slice(start * t, (start + n) * t),
    },
  };
}

describe.each([
  ['pabee', 'policy pabee { patience: 2 }', { patience: 1 }],
  ['maxprob', 'policy maxprob { threshold: 0.47 }', { threshold: 0.635 }],
])('segmented form with batch compaction (%s)', (name, policy, override) => {
  let chain: CompiledModel;
  let segmented: SegmentedModel;
  beforeAll(async () => {
    const file = join(scratch, `${name}.ramp`);
    writeFileSync(file, source(policy));
    const result = await compile({ file, outDir: join(scratch, name), debug: true });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    chain = await CompiledModel.load(join(scratch, name, 'seg'), { intraOpNumThreads: 1 });
    segmented = await SegmentedModel.load(join(scratch, name, 'seg'), { intraOpNumThreads: 1 });
  });

  it.each([{}, override])(
    'returns the chain form’s results, in the caller’s order, at batch 32 (params %o)',
    async (params) => {
      for (const start of [0, 32, 64, 96]) {
        const inputs = batchInputs(start, 32);
        const a = await chain.run(inputs, { params });
        const b = await segmented.run(inputs, { params });
        expect([...b.exitLayer]).toEqual([...a.exitLayer]);
        expect([...b.predictions]).toEqual([...a.predictions]);
        for (let i = 0; i < a.logits.length; i++)
          expect(Math.abs(b.logits[i]! - a.logits[i]!)).toBeLessThan(1e-5);
        for (let i = 0; i < a.confidence.length; i++)
          expect(b.confidence[i]).toBeCloseTo(a.confidence[i]!, 5);
      }
    },
  );

  it('gives each sample alone what it gets in the batch', async () => {
    const batched = await segmented.run(batchInputs(0, 8));
    for (let i = 0; i < 8; i++) {
      const alone = await segmented.run(batchInputs(i, 1));
      expect(alone.exitLayer[0]).toBe(batched.exitLayer[i]);
      expect(alone.predictions[0]).toBe(batched.predictions[i]);
    }
  });
});

describe('the segmented driver', () => {
  let chain: CompiledModel;
  let segmented: SegmentedModel;
  beforeAll(async () => {
    const file = join(scratch, 'driver.ramp');
    writeFileSync(file, source('policy maxprob { threshold: 0.47 }'));
    const result = await compile({ file, outDir: join(scratch, 'driver') });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    chain = await CompiledModel.load(join(scratch, 'driver', 'seg'), { intraOpNumThreads: 1 });
    segmented = await SegmentedModel.load(join(scratch, 'driver', 'seg'), { intraOpNumThreads: 1 });
  });

  it('never writes to the caller’s inputs, and follows a setting that changes from call to call', async () => {
    const inputs = batchInputs(0, 32);
    const before = [inputs.input_ids.data.slice(), inputs.attention_mask.data.slice()];
    for (const threshold of [0.41, 0.47, 0.47, 0.9, 0.41, undefined]) {
      const params: Record<string, number> = threshold === undefined ? {} : { threshold };
      const a = await chain.run(inputs, { params });
      const b = await segmented.run(inputs, { params });
      expect([...b.exitLayer], `threshold ${threshold}`).toEqual([...a.exitLayer]);
      expect([...b.predictions]).toEqual([...a.predictions]);
    }
    expect(inputs.input_ids.data).toEqual(before[0]);
    expect(inputs.attention_mask.data).toEqual(before[1]);
  });

  it('keeps concurrent calls apart (each has its own scratch buffers)', async () => {
    const batches = [0, 32, 64, 96].map((start) => batchInputs(start, 32));
    const alone = [];
    for (const b of batches) alone.push(await segmented.run(b, { params: { threshold: 0.41 } }));
    const together = await Promise.all(batches.map((b) => segmented.run(b, { params: { threshold: 0.41 } })));
    for (const [i, r] of together.entries()) {
      expect([...r.exitLayer]).toEqual([...alone[i]!.exitLayer]);
      expect([...r.logits]).toEqual([...alone[i]!.logits]);
    }
  });

  it('reports exit checks and time inside onnxruntime, and stops once every sample has exited', async () => {
    const out = await segmented.run(batchInputs(0, 32), { params: { threshold: 0 } });
    expect([...out.exitLayer]).toEqual(new Array(32).fill(1)); // everything exits at the first exit
    expect(out.telemetry.checks).toBe(1);
    expect(out.telemetry.layersExecuted).toBe(1);
    expect(out.telemetry.modelMs).toBeGreaterThan(0);
    expect(out.telemetry.modelMs).toBeLessThanOrEqual(out.telemetry.wallMs);
  });
});

describe('batch compaction', () => {
  it('fills exited rows from the end of the batch, moving no more rows than needed', () => {
    const sample = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const gone = Uint8Array.from([0, 1, 0, 1, 0, 0, 1, 0]);
    const moves = planCompaction(gone, 8, sample);
    // rows 1 and 3 are filled from 7 and 5 (6 exited); 5 rows stay
    expect([...moves.from.subarray(0, moves.count)]).toEqual([7, 5]);
    expect([...moves.to.subarray(0, moves.count)]).toEqual([1, 3]);
    expect([...sample.subarray(0, 5)]).toEqual([0, 7, 2, 5, 4]);
  });

  it('compacts its own values in place and the caller’s into scratch buffers', () => {
    const data = Float32Array.from({ length: 4 * 3 }, (_, i) => i);
    const caller = { tensor: new ort.Tensor('float32', data, [4, 3]), owned: false };
    const own = { tensor: new ort.Tensor('float32', data.slice(), [4, 3]), owned: true };
    const sample = Int32Array.from([0, 1, 2, 3]);
    const moves = planCompaction(Uint8Array.from([1, 0, 0, 0]), 4, sample); // row 0 exits: row 3 moves up
    const scratchBuffers = new Map();
    compactRows('x', caller, moves, 3, scratchBuffers);
    compactRows('y', own, moves, 3, scratchBuffers);
    for (const v of [caller, own]) {
      expect(v.tensor.dims).toEqual([3, 3]);
      expect([...(v.tensor.data as Float32Array)]).toEqual([9, 10, 11, 3, 4, 5, 6, 7, 8]);
      expect(v.owned).toBe(true);
    }
    expect([...data]).toEqual(Array.from({ length: 12 }, (_, i) => i)); // the caller's array is untouched
    expect(scratchBuffers.has('x')).toBe(true);
    expect(scratchBuffers.has('y')).toBe(false);
  });
});
