/**
 * Token-level early exit on the Mamba LM fixture (fixtures/mamba-lm), held to the PyTorch reference in
 * reference/generate.json (rule: fixtures/gen/mamba_generate_ref.py): per-token exit layers and generated
 * tokens for every max-prob setting under both skipped-block state strategies, keep and update.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { parseNpy } from '../../src/io/index.js';
import { DecoderModel } from '../../src/runtime/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'dsl/examples/mamba-decoder.ramp');
const FIXTURE = join(ROOT, 'fixtures/mamba-lm');
const reference = JSON.parse(readFileSync(join(FIXTURE, 'reference/generate.json'), 'utf8')) as {
  new_tokens: number;
  settings: {
    name: string;
    policy: string;
    threshold?: number;
    strategy?: string;
    tokens: number[][];
    exit_layer: number[][];
  }[];
};
/** The 16 held-out prompts (eval/prompts.npy, int64 [16, 16]). */
const prompts: number[][] = (() => {
  const array = parseNpy(readFileSync(join(FIXTURE, 'eval/prompts.npy')), 'prompts.npy').array!;
  const [rows, width] = array.shape as [number, number];
  const data = Array.from(array.data as BigInt64Array, Number);
  return Array.from({ length: rows }, (_, r) => data.slice(r * width, (r + 1) * width));
})();
const scratch = mkdtempSync(join(tmpdir(), 'offramp-mamba-gen-'));
const models = new Map<string, DecoderModel>();
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(async () => {
  const source = readFileSync(EXAMPLE, 'utf8');
  for (const strategy of ['keep', 'update']) {
    const outDir = join(scratch, strategy);
    const result = await compile({
      file: EXAMPLE,
      source: source.replace('cache: update', `cache: ${strategy}`),
      outDir,
      debug: true,
    });
    expect(result.artifacts, formatDiagnostics(result.diagnostics, { color: false })).toHaveLength(1);
    models.set(strategy, await DecoderModel.load(result.artifacts[0]!.directory));
  }
}, 120_000);

const maxprob = reference.settings.filter((s) => s.policy === 'maxprob');

describe('Mamba LM generation with token-level exits matches PyTorch', () => {
  it.each(maxprob.map((s) => [s.name, s] as const))(
    '%s: every prompt, token for token',
    async (_, setting) => {
      const model = models.get(setting.strategy!)!;
      for (const [k, prompt] of prompts.entries()) {
        const generated = await model.generate(prompt, {
          maxNewTokens: reference.new_tokens,
          params: { threshold: setting.threshold! },
        });
        expect(
          generated.steps.map((s) => s.exitLayer),
          `prompt ${k}`,
        ).toEqual(setting.exit_layer[k]);
        expect(generated.tokens, `prompt ${k}`).toEqual(setting.tokens[k]);
      }
    },
  );

  it('never exiting reproduces the backbone under either strategy', async () => {
    const never = reference.settings.find((s) => s.policy === 'never')!;
    for (const strategy of ['keep', 'update']) {
      for (const [k, prompt] of prompts.entries()) {
        const generated = await models.get(strategy)!.generate(prompt, {
          maxNewTokens: reference.new_tokens,
          params: { threshold: 1.5 },
        });
        expect(generated.tokens, `${strategy}, prompt ${k}`).toEqual(never.tokens[k]);
      }
    }
  });

  it('the strategies really differ: update changes later tokens where skipped blocks matter', () => {
    const byName = new Map(maxprob.map((s) => [s.name, s]));
    const keep = byName.get('maxprob-0.255-keep')!;
    const update = byName.get('maxprob-0.255-update')!;
    expect(keep.tokens).not.toEqual(update.tokens);
  });
});

/**
 * The step graph decides per sample: in a batch, a sample that exited keeps (or updates) its own skipped
 * blocks' states by Where while the others run on. Greedy decoding straight on onnxruntime, batch 16.
 */
async function batchedGreedy(directory: string, prompts: number[][], threshold: number) {
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8'));
  const session = await ort.InferenceSession.create(join(directory, 'model.onnx'), { logSeverityLevel: 3 });
  const batch = prompts.length;
  const states: Record<string, ort.Tensor> = {};
  for (const c of manifest.decoder.caches as {
    past: string;
    present: string;
    shape: (number | string)[];
  }[]) {
    const dims = c.shape.map((d, k) => (typeof d === 'number' ? d : k === 0 ? batch : 0));
    states[c.past] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }
  let ids = prompts.flat();
  let width = prompts[0]!.length;
  const tokens: number[][] = prompts.map(() => []);
  const exits: number[][] = prompts.map(() => []);
  for (let step = 0; step < reference.new_tokens; step++) {
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [batch, width]),
      'offramp.full_depth': new ort.Tensor('bool', Uint8Array.of(step === 0 ? 1 : 0), []),
      'offramp.threshold': new ort.Tensor('float32', Float32Array.of(threshold), []),
      ...states,
    });
    for (const c of manifest.decoder.caches) states[c.past] = out[c.present]!;
    const logits = out.logits!;
    const vocab = logits.dims[1]!;
    ids = [];
    for (let b = 0; b < batch; b++) {
      const row = (logits.data as Float32Array).subarray(b * vocab, (b + 1) * vocab);
      let best = 0;
      for (let v = 1; v < vocab; v++) if (row[v]! > row[best]!) best = v;
      tokens[b]!.push(best);
      exits[b]!.push(Number((out.exit_layer!.data as BigInt64Array)[b]));
      ids.push(best);
    }
    width = 1;
  }
  await session.release();
  return { tokens, exits };
}

describe('a batch of prompts', () => {
  it('decodes all 16 prompts as one batch exactly as each alone, states kept or updated per sample', async () => {
    for (const strategy of ['keep', 'update']) {
      const setting = maxprob.find((s) => s.strategy === strategy && s.threshold === 0.255)!;
      const batched = await batchedGreedy(
        join(scratch, strategy, 'mamba_lm_maxprob'),
        prompts,
        setting.threshold!,
      );
      for (const k of prompts.keys()) {
        expect(batched.tokens[k], `${strategy}, prompt ${k}`).toEqual(setting.tokens[k]);
        expect(batched.exits[k]).toEqual(setting.exit_layer[k]);
      }
      // Informative: at many steps the samples of the batch leave at different layers.
      const mixed = batched.exits[0]!.filter((_, t) => new Set(batched.exits.map((e) => e[t])).size > 1);
      expect(mixed.length).toBeGreaterThan(2);
    }
  });
});
