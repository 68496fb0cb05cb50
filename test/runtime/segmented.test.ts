import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
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
