import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parameterInputName } from '../../src/passes/insert-policy.js';
import { runChainPipeline } from '../../src/passes/pipeline.js';
import { loadEncoderFixture, planFor, scalarFeed } from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();
const scratch = mkdtempSync(join(tmpdir(), 'offramp-profile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs one example with ORT's profiler on and returns the names of the nodes that actually executed. */
async function executedNodes(
  bytes: Uint8Array,
  example: number,
  patience: number,
  tag: string,
): Promise<Set<string>> {
  const prefix = join(scratch, tag);
  const session = await ort.InferenceSession.create(bytes, {
    logSeverityLevel: 3,
    intraOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  const t = fixture.sequence;
  await session.run({
    input_ids: new ort.Tensor('int64', fixture.inputIds.slice(example * t, (example + 1) * t), [1, t]),
    attention_mask: new ort.Tensor('int64', fixture.attentionMask.slice(example * t, (example + 1) * t), [
      1,
      t,
    ]),
    [parameterInputName('patience')]: scalarFeed('int64', patience),
  });
  session.endProfiling();
  await session.release();
  const file = readdirSync(scratch).find((f) => f.startsWith(tag) && f.endsWith('.json'))!;
  const events = JSON.parse(readFileSync(join(scratch, file), 'utf8')) as {
    cat: string;
    name: string;
    args?: { op_name?: string };
  }[];
  return new Set(
    events
      .filter((e) => e.cat === 'Node')
      .map((e) => e.name.replace(/_kernel_time$|_fence_(before|after)$/, '')),
  );
}

const ranLayer = (nodes: Set<string>, index: number) =>
  [...nodes].some((n) => n.includes(`/bert/encoder/layer.${index}/`));

describe('skipped layers are not computed', () => {
  it('runs no node of the layers after the exit, and every node when nothing exits', async () => {
    const compiled = await runChainPipeline(planFor('pabee'));
    const reference = fixture.policies.pabee!.find((s) => s.settings.patience === 2)!;
    const example = reference.exit_layer.indexOf(3);
    expect(example).toBeGreaterThanOrEqual(0);

    const early = await executedNodes(compiled.bytes!, example, 2, 'early');
    expect([0, 1, 2].map((i) => ranLayer(early, i))).toEqual([true, true, true]);
    expect([3, 4, 5].map((i) => ranLayer(early, i))).toEqual([false, false, false]);

    const full = await executedNodes(compiled.bytes!, example, 0, 'full');
    expect([0, 1, 2, 3, 4, 5].every((i) => ranLayer(full, i))).toBe(true);
  });
});
