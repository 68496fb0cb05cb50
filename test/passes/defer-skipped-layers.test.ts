/**
 * defer-skipped-layers (`decode { cache: recompute }`) on the decoder fixture: the step graph's pending
 * inputs and outputs, the verifier after every pass, and OR5008 for a layer that reads a value computed
 * outside it. Generation against PyTorch is in test/runtime/generate-decoder.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { readModel, writeModel } from '../../src/ir/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'dsl/examples/decoder.ramp');
const FIXTURE = join(ROOT, 'fixtures/decoder');

function source(cache: string, backbone?: string): string {
  let text = readFileSync(EXAMPLE, 'utf8').replace(/cache: \w+/, `cache: ${cache}`);
  if (backbone) text = text.replace(/backbone "[^"]+"/, `backbone "${backbone}"`);
  return text;
}

describe('defer-skipped-layers', () => {
  it('gives every layer after the first a pending input and output; the verifier passes after every pass', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'offramp-defer-'));
    const result = await compile({ file: EXAMPLE, source: source('recompute'), outDir, debug: true });
    expect(result.diagnostics, formatDiagnostics(result.diagnostics)).toEqual([]);
    const { model } = await readModel(join(result.artifacts[0]!.directory, 'model.onnx'));
    const graph = model!.graph;
    const pendingIn = graph.inputs.filter((v) => v.name.startsWith('offramp.pending.'));
    expect(pendingIn.map((v) => [v.name, v.type?.shape])).toEqual(
      [1, 2, 3, 4, 5].map((i) => [`offramp.pending.${i}`, ['batch', `pending_${i}`, 64]]),
    );
    expect(graph.outputs.map((v) => v.name).filter((n) => n.startsWith('offramp.pending.'))).toEqual(
      [1, 2, 3, 4, 5].map((i) => `offramp.pending.${i}.next`),
    );
    // Layers 2..6 each run inside an If (exits after 1..5): the presents and pending outputs come out of them.
    const ifs = graph.nodes.filter((n) => n.op === 'If');
    expect(ifs).toHaveLength(5);
    const manifest = JSON.parse(readFileSync(join(result.artifacts[0]!.directory, 'manifest.json'), 'utf8'));
    expect(manifest.decoder.cache).toBe('recompute');
    expect(manifest.decoder.pending).toEqual(
      [1, 2, 3, 4, 5].map((i) => ({
        layer: i + 1,
        input: `offramp.pending.${i}`,
        output: `offramp.pending.${i}.next`,
        shape: ['batch', `pending_${i}`, 64],
      })),
    );
  });

  it('adds nothing for copy', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'offramp-defer-'));
    const result = await compile({ file: EXAMPLE, source: source('copy'), outDir });
    expect(result.diagnostics).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(result.artifacts[0]!.directory, 'manifest.json'), 'utf8'));
    expect(manifest.decoder.pending).toBeUndefined();
    expect(manifest.inputs.map((i: { name: string }) => i.name)).not.toContain('offramp.pending.1');
  });

  it('refuses (OR5008) a layer that reads a value computed outside it, which copy still compiles', async () => {
    // Layer 2's attention takes its query count from the ids (the prologue's Shape(input_ids)[1]) instead of
    // its own queries: fine when every layer runs this step's tokens, wrong for a layer rerunning pending ones.
    const { model } = await readModel(join(FIXTURE, 'decoder.onnx'));
    const graph = model!.graph;
    const sub = graph.nodes.find((n) => n.name === '/transformer/h.1/attn/Sub')!;
    const shared = graph.nodes.find((n) => n.name === '/transformer/Gather_1')!.outputs[0]!;
    const own = sub.inputs[1]!;
    own.uses.delete(sub);
    sub.inputs = [sub.inputs[0], shared];
    shared.uses.add(sub);
    const dir = mkdtempSync(join(tmpdir(), 'offramp-defer-'));
    const backbone = join(dir, 'shared-length.onnx');
    writeFileSync(backbone, writeModel(model!));
    const refused = await compile({
      file: EXAMPLE,
      source: source('recompute', backbone),
      outDir: join(dir, 'out'),
    });
    expect(refused.artifacts).toEqual([]);
    expect(refused.diagnostics.map((d) => d.code)).toEqual(['OR5008']);
    expect(refused.diagnostics[0]!.message).toMatch(
      /cannot defer layer 2 .*'\/transformer\/Gather_1_output_0'/,
    );
    const copy = await compile({ file: EXAMPLE, source: source('copy', backbone), outDir: join(dir, 'out') });
    expect(copy.diagnostics, formatDiagnostics(copy.diagnostics)).toEqual([]);
  });
});
