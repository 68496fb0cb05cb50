/**
 * DYNAMAX-style exits on the Mamba fixture: `dsl/examples/mamba.ramp` (a Mamba block per exit, read at the
 * last position; the backbone's scan exported loop-free) compiled and run on onnxruntime-node against the
 * PyTorch reference decisions at every recorded threshold.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRamp } from '../../src/compiler/front-end.js';
import { planFromModel } from '../../src/compiler/plan-from-ast.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { parseNpy } from '../../src/io/index.js';
import { runChainPipeline } from '../../src/passes/pipeline.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'fixtures/mamba');
const npy = (file: string) => parseNpy(readFileSync(join(FIXTURE, file)), file).array!;
const ids = npy('eval/input_ids.npy');
const layerLogits = npy('reference/layer_logits.npy');
const sequence = ids.shape[1]!;
// The exported scan is loop-free and quadratic in the sequence (~150 ms per passage on this CPU), so each
// setting runs on the first 120 eval passages, not a selection.
const examples = Math.min(120, ids.shape[0]!);
const [, layers, classes] = layerLogits.shape as [number, number, number];
const references = JSON.parse(readFileSync(join(FIXTURE, 'reference/policies.json'), 'utf8')).mamba as {
  settings: { threshold: number };
  exit_layer: number[];
  prediction: number[];
}[];

describe('the mamba policy on the Mamba fixture', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    const { models, diagnostics } = await loadRamp(join(ROOT, 'dsl/examples/mamba.ramp'));
    const plan = planFromModel(models[0]!, diagnostics);
    expect(diagnostics, formatDiagnostics(diagnostics)).toEqual([]);
    const result = await runChainPipeline(plan!, { verifyEach: true });
    expect(result.diagnostics, formatDiagnostics(result.diagnostics)).toEqual([]);
    session = await ort.InferenceSession.create(result.bytes!, { logSeverityLevel: 3 });
  }, 60_000);

  it.each(references.map((r) => [r.settings.threshold, r] as const))(
    'takes PyTorch’s exit and prediction on 120 eval passages at threshold %s, logits within 1e-4',
    async (threshold, reference) => {
      const exitLayer: number[] = [];
      const prediction: number[] = [];
      let worst = 0;
      for (let start = 0; start < examples; start += 16) {
        const n = Math.min(16, examples - start);
        const out = await session.run({
          input_ids: new ort.Tensor(
            'int64',
            (ids.data as BigInt64Array).slice(start * sequence, (start + n) * sequence),
            [n, sequence],
          ),
          'offramp.threshold': new ort.Tensor('float32', Float32Array.of(threshold), []),
        });
        const logits = out.logits!.data as Float32Array;
        for (let b = 0; b < n; b++) {
          const layer = Number((out.exit_layer!.data as BigInt64Array)[b]);
          exitLayer.push(layer);
          let best = 0;
          for (let c = 0; c < classes; c++) {
            if (logits[b * classes + c]! > logits[b * classes + best]!) best = c;
            const ref = (layerLogits.data as Float32Array)[((start + b) * layers + layer - 1) * classes + c]!;
            worst = Math.max(worst, Math.abs(logits[b * classes + c]! - ref));
          }
          prediction.push(best);
        }
      }
      expect(exitLayer).toEqual(reference.exit_layer.slice(0, examples));
      expect(prediction).toEqual(reference.prediction.slice(0, examples));
      expect(worst).toBeLessThan(1e-4);
      expect(new Set(exitLayer).size).toBeGreaterThan(2);
    },
    60_000,
  );
});

describe('the Mamba fixture for webgpu', () => {
  it('is refused with the nodes WebGPU cannot run named (the scan’s masks: Trilu, ConstantOfShape), not split', async () => {
    const { compile } = await import('../../src/compiler/index.js');
    const file = join(ROOT, 'dsl/examples/mamba.ramp');
    const source = readFileSync(file, 'utf8').replace('  target cpu\n', '  target webgpu\n');
    const result = await compile({ file, source, outDir: join(FIXTURE, '..', '..', '.never-written') });
    expect(result.artifacts).toEqual([]);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((d) => d.code))).toEqual(new Set(['OR6001']));
    for (const d of errors)
      expect(d.message).toMatch(
        /\/backbone\/layers\.\d\/mixer\/(Trilu|ConstantOfShape).*no (Trilu|ConstantOfShape) kernel/,
      );
    // Six layers, two masks of each kind: every one is named, none dropped.
    expect(errors.length).toBe(24);
  }, 60_000);
});
