import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrate, readCalibrationData, recordHeads } from '../../src/calibrate/index.js';
import { loadRamp } from '../../src/compiler/front-end.js';
import { planFromModel } from '../../src/compiler/plan-from-ast.js';
import { encodeNpy, type NpyArray } from '../../src/io/index.js';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'offramp-data-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const fixture = loadEncoderFixture();
const example = (name: string) => resolve(import.meta.dirname, '../../dsl/examples', `${name}.ramp`);

/** Row k of the eval set's token ids (its first `length` tokens). */
const idsOf = (k: number, length = fixture.sequence) =>
  Array.from(fixture.inputIds.subarray(k * fixture.sequence, k * fixture.sequence + length), Number);

function writeJsonl(name: string, lines: readonly unknown[]): string {
  const path = join(scratch, name);
  writeFileSync(path, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return path;
}

async function planOf(name: string) {
  const { models, diagnostics } = await loadRamp(example(name));
  return planFromModel(models[0]!, diagnostics)!;
}

describe('calibration data as JSONL', () => {
  it('gives exactly the .npy folder calibration for the same examples', async () => {
    const file = writeJsonl(
      'eval.jsonl',
      Array.from({ length: fixture.examples }, (_, k) => ({
        input_ids: idsOf(k),
        attention_mask: Array.from(
          fixture.attentionMask.subarray(k * fixture.sequence, (k + 1) * fixture.sequence),
          Number,
        ),
        label: Number(fixture.labels[k]),
      })),
    );
    const options = { file: example('maxprob'), budget: 0.01, latency: false } as const;
    const [fromJsonl, fromNpy] = await Promise.all([
      calibrate({ ...options, data: file }),
      calibrate({ ...options, data: fixturePath('eval') }),
    ]);
    expect(fromJsonl.diagnostics).toEqual([]);
    expect(fromJsonl.qualityKind).toBe('accuracy');
    expect(fromJsonl.examples).toBe(fixture.examples);
    expect(fromJsonl.reference).toBe(fromNpy.reference);
    expect(fromJsonl.points).toEqual(fromNpy.points);
    expect(fromJsonl.chosen).toEqual(fromNpy.chosen);
  }, 60_000);

  it('without labels, measures agreement with the full model', async () => {
    const file = writeJsonl(
      'unlabelled.jsonl',
      Array.from({ length: 200 }, (_, k) => ({ input_ids: idsOf(k) })),
    );
    const result = await calibrate({ file: example('pabee'), data: file, budget: 0.02, latency: false });
    expect(result.diagnostics).toEqual([]);
    expect(result.qualityKind).toBe('agreement');
    expect(result.reference).toBe(1);
    // Patience 0 is PABEE's "full model": it agrees with itself everywhere.
    expect(result.points.find((p) => p.setting.patience === 0)!.quality).toBe(1);
    expect(result.chosen!.quality).toBeGreaterThanOrEqual(0.98);
  }, 60_000);

  it('pads shorter rows and masks the padding: each row records what it records alone', async () => {
    const lengths = [64, 40, 23, 64, 51];
    const file = writeJsonl(
      'ragged.jsonl',
      lengths.map((n, k) => ({ input_ids: idsOf(k, n), label: Number(fixture.labels[k]) })),
    );
    const { arrays, diagnostics } = await readCalibrationData(file);
    expect(diagnostics).toEqual([]);
    expect(arrays.get('input_ids')!.shape).toEqual([5, 64]);
    const mask = arrays.get('attention_mask')!;
    expect(Array.from(mask.data as BigInt64Array, Number).filter((v) => v === 1)).toHaveLength(
      lengths.reduce((a, b) => a + b, 0),
    );
    expect(Number((arrays.get('input_ids')!.data as BigInt64Array)[64 + 40])).toBe(0);

    const plan = await planOf('pabee');
    const together = await recordHeads(plan, arrays);
    for (const [k, n] of lengths.entries()) {
      const alone: Map<string, NpyArray> = new Map([
        ['input_ids', { dtype: 'int64', shape: [1, n], data: BigInt64Array.from(idsOf(k, n), BigInt) }],
        ['attention_mask', { dtype: 'int64', shape: [1, n], data: new BigInt64Array(n).fill(1n) }],
      ]);
      const single = await recordHeads(plan, alone);
      for (const [e, head] of single.heads.entries()) {
        const row = together.heads[e]!.logits.subarray(k * together.classes, (k + 1) * together.classes);
        for (let c = 0; c < together.classes; c++) expect(row[c]).toBeCloseTo(head.logits[c]!, 5);
      }
    }
  }, 60_000);

  it('reports malformed lines with file:line and reads nothing', async () => {
    const cases: [string, unknown[], RegExp][] = [
      ['json.jsonl', [{ input_ids: [1, 2] }, '{"input_ids": [1, 2'], /json\.jsonl:2.*not JSON/],
      ['object.jsonl', ['[1, 2, 3]'], /object\.jsonl:1.*one JSON object/],
      ['ids.jsonl', [{ input_ids: [1, 2.5] }], /ids\.jsonl:1.*'input_ids' must be an array of integers/],
      [
        'label.jsonl',
        [{ input_ids: [1, 2], label: 1 }, { input_ids: [1, 3] }],
        /label\.jsonl:2.*'label' must be on every line or on none/,
      ],
      [
        'mask.jsonl',
        [{ input_ids: [1, 2, 3], attention_mask: [1, 1] }],
        /mask\.jsonl:1.*'attention_mask' has 2 entries, 'input_ids' 3/,
      ],
      [
        'keys.jsonl',
        [{ input_ids: [1, 2] }, { input_ids: [1, 2], token_type_ids: [0, 0] }],
        /keys\.jsonl:2.*every line needs the same/,
      ],
      ['empty.jsonl', [''], /no examples/],
    ];
    for (const [name, lines, message] of cases) {
      const { arrays, diagnostics } = await readCalibrationData(writeJsonl(name, lines));
      expect(diagnostics.map((d) => d.code)).toContain('OR7003');
      expect(diagnostics.map((d) => d.message).join('\n')).toMatch(message);
      expect(arrays.size).toBe(0);
    }
  });

  it('names a model input the data lacks, instead of failing inside the runtime', async () => {
    const file = writeJsonl('no-ids.jsonl', [{ token_ids: [1, 5, 9] }]);
    const result = await calibrate({ file: example('pabee'), data: file, budget: 0.01, latency: false });
    expect(result.diagnostics.map((d) => d.code)).toEqual(['OR7003']);
    expect(result.diagnostics[0]!.message).toMatch(/reads 'input_ids'.*lacks \(it has token_ids\)/);
    expect(result.points).toEqual([]);
  });

  it('checks that .npy arrays agree on the number of examples', async () => {
    const folder = join(scratch, 'mismatch');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'input_ids.npy'),
      encodeNpy({ dtype: 'int64', shape: [3, 4], data: new BigInt64Array(12).fill(1n) }),
    );
    writeFileSync(
      join(folder, 'labels.npy'),
      encodeNpy({ dtype: 'int64', shape: [2], data: new BigInt64Array(2) }),
    );
    const { diagnostics } = await readCalibrationData(folder);
    expect(diagnostics.map((d) => d.message).join('\n')).toMatch(
      /disagree on the number of examples \(input_ids: 3, labels: 2\)/,
    );
  });
});
