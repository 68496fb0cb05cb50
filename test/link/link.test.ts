import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { checkFile, checkSource } from '../../src/link/index.js';

const encoder = fileURLToPath(new URL('../../fixtures/encoder/', import.meta.url));

describe('linking', () => {
  it('resolves layers, exits and weight sizes against the encoder fixture', async () => {
    const r = await checkFile(fileURLToPath(new URL('../../dsl/examples/pabee.ramp', import.meta.url)));
    const linked = r.linked![0]!;
    expect(linked.layers.pattern).toBe('/bert/encoder/layer.{i}/');
    expect(linked.layers.cuts).toHaveLength(6);
    expect(linked.exitLayers).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Object.fromEntries(linked.sizes)).toEqual({ H: 64, C: 4 });
    expect(linked.backbone.inputs).toEqual(['input_ids', 'attention_mask']);
  });

  it('finds the exits of an all-exits export by output name', async () => {
    const r = await checkFile(fileURLToPath(new URL('../../dsl/examples/margin.ramp', import.meta.url)));
    expect(r.linked![0]!.exitOutputs).toEqual([0, 1, 2, 3, 4, 5].map((i) => `exit_logits.${i}`));
  });

  it('checks weight shapes in a file built by the test, and reports unreadable files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ramp-link-'));
    const h = 64;
    const tensors = [0, 1].flatMap((i) => [
      { name: `c.${i}.weight`, shape: [3, h], data: new Float32Array(3 * h) },
      // Layer 2's bias has the wrong length.
      { name: `c.${i}.bias`, shape: [i === 1 ? 4 : 3], data: new Float32Array(i === 1 ? 4 : 3) },
    ]);
    writeFileSync(join(dir, 'w.safetensors'), encodeSafetensors(tensors));
    writeFileSync(join(dir, 'junk.safetensors'), 'not safetensors at all');
    const source = (weights: string) => `model m {
  backbone "${encoder}backbone.onnx"
  exits after 1..2 { head linear weights "${weights}" key "c.{i}." }
  policy maxprob { threshold: 0.9 }
}`;
    const bad = await checkSource(source('w.safetensors'), join(dir, 'x.ramp'));
    expect(bad.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['OR3012', "'c.1.bias' implies C = 4, but 'c.0.weight' says 3"],
    ]);
    const junk = await checkSource(source('junk.safetensors'), join(dir, 'x.ramp'));
    expect(junk.diagnostics.map((d) => [d.code, d.span?.start.line])).toEqual([['OR3101', 3]]);
  });
});
