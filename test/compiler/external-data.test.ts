import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { readModel, saveModel } from '../../src/ir/index.js';
import { CompiledModel, int64Tensor } from '../../src/runtime/index.js';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'offramp-external-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ramp = (backbone: string) => `
model pabee_external {
  backbone "${backbone}" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..6 {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" {
      pooler: "pabee.pooler.",
      linear: "pabee.classifier.{i}."
    }
  }
  policy pabee { patience: 2 }
  target cpu
}
`;

describe('a backbone whose weights are external data', () => {
  it('compiles to a self-contained artifact (side file copied beside it) that runs like the inline one', async () => {
    // The encoder fixture re-saved with every tensor of >= 1 KiB in a side file, in a folder of its own.
    const backboneDir = join(scratch, 'backbone');
    const backbone = join(backboneDir, 'model.onnx');
    const { model } = await readModel(fixturePath('backbone.onnx'));
    const saved = await saveModel(model!, backbone, {
      externalData: { location: 'weights/model.onnx.data' },
    });
    expect(saved.sideFile!.bytes).toBeGreaterThan(2_000_000);
    const sideBefore = readFileSync(saved.sideFile!.path);

    const externalRamp = join(scratch, 'external.ramp');
    const inlineRamp = join(scratch, 'inline.ramp');
    writeFileSync(externalRamp, ramp(backbone));
    writeFileSync(inlineRamp, ramp(fixturePath('backbone.onnx')));
    const external = await compile({ file: externalRamp, outDir: join(scratch, 'out-external') });
    const inline = await compile({ file: inlineRamp, outDir: join(scratch, 'out-inline') });
    expect(external.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(inline.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);

    const artifact = external.artifacts[0]!;
    expect(artifact.weightFiles.map((w) => w.location)).toEqual(['weights/model.onnx.data']);
    const copied = join(artifact.directory, 'weights/model.onnx.data');
    expect(readFileSync(copied).equals(sideBefore)).toBe(true);
    // The compiled model holds only the graph and the new heads; the backbone's weights stay in the side file.
    expect(statSync(join(artifact.directory, 'model.onnx')).size).toBeLessThan(400_000);
    // Nothing the user gave changed.
    expect(readFileSync(saved.sideFile!.path).equals(sideBefore)).toBe(true);

    // Both artifacts load from their own folders and give the same exits and logits.
    const f = loadEncoderFixture();
    const n = 24;
    const inputs = {
      input_ids: int64Tensor(f.inputIds.subarray(0, n * f.sequence), [n, f.sequence]),
      attention_mask: int64Tensor(f.attentionMask.subarray(0, n * f.sequence), [n, f.sequence]),
    };
    const a = await (await CompiledModel.load(artifact.directory)).run(inputs);
    const b = await (await CompiledModel.load(inline.artifacts[0]!.directory)).run(inputs);
    expect(Array.from(a.exitLayer)).toEqual(Array.from(b.exitLayer));
    expect(Array.from(a.logits)).toEqual(Array.from(b.logits));
    expect(new Set(a.exitLayer).size).toBeGreaterThan(1);
  }, 60_000);

  it('refuses to write the artifact over the side file it reads', async () => {
    const file = join(scratch, 'clash.ramp');
    // outDir/<model name>/weights/model.onnx.data would be the input's own side file.
    const clashDir = join(scratch, 'pabee_external');
    renameSync(join(scratch, 'backbone'), clashDir);
    writeFileSync(file, ramp(join(clashDir, 'model.onnx')));
    const result = await compile({ file, outDir: scratch });
    expect(result.artifacts).toEqual([]);
    expect(result.diagnostics.map((d) => d.code)).toContain('OR7002');
    expect(existsSync(join(clashDir, 'weights/model.onnx.data'))).toBe(true);
  }, 60_000);
});
