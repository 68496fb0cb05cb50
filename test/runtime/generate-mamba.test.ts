/**
 * Token-level early exit on the Mamba LM fixture (fixtures/mamba-lm), held to the PyTorch reference in
 * reference/generate.json (rule: fixtures/gen/mamba_generate_ref.py): per-token exit layers and generated
 * tokens for every max-prob and Mamba-classifier (DYNAMAX) setting under both skipped-block state strategies,
 * keep and update.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { parseNpy } from '../../src/io/index.js';
import { DecoderModel } from '../../src/runtime/index.js';
import { batchedGreedy } from '../support/batched-greedy.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'dsl/examples/mamba-decoder.ramp');
/** DYNAMAX's Mamba-block exit classifiers (learned policy, `classifier: mamba(...)`), `cache: keep`. */
const DYNAMAX = join(ROOT, 'dsl/examples/dynamax.ramp');
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

/** Artifact directories and loaded models by `<policy>-<strategy>`. */
const directories = new Map<string, string>();

beforeAll(async () => {
  for (const [policy, file, declared] of [
    ['maxprob', EXAMPLE, 'cache: update'],
    ['mamba', DYNAMAX, 'cache: keep'],
  ] as const) {
    const source = readFileSync(file, 'utf8');
    for (const strategy of ['keep', 'update']) {
      const result = await compile({
        file,
        source: source.replace(declared, `cache: ${strategy}`),
        outDir: join(scratch, `${policy}-${strategy}`),
        debug: true,
      });
      expect(result.artifacts, formatDiagnostics(result.diagnostics, { color: false })).toHaveLength(1);
      const directory = result.artifacts[0]!.directory;
      directories.set(`${policy}-${strategy}`, directory);
      models.set(`${policy}-${strategy}`, await DecoderModel.load(directory));
    }
  }
}, 180_000);

const exiting = reference.settings.filter((s) => s.policy !== 'never');

describe('Mamba LM generation with token-level exits matches PyTorch', () => {
  it.each(exiting.map((s) => [s.name, s] as const))(
    '%s: every prompt, token for token',
    async (_, setting) => {
      const model = models.get(`${setting.policy}-${setting.strategy}`)!;
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

  it('never exiting reproduces the backbone, for both policies and strategies', async () => {
    const never = reference.settings.find((s) => s.policy === 'never')!;
    for (const [key, model] of models) {
      for (const [k, prompt] of prompts.entries()) {
        const generated = await model.generate(prompt, {
          maxNewTokens: reference.new_tokens,
          params: { threshold: 1.5 },
        });
        expect(generated.tokens, `${key}, prompt ${k}`).toEqual(never.tokens[k]);
      }
    }
  });

  it('the strategies really differ: skipped blocks kept or updated change later tokens', () => {
    const byName = new Map(exiting.map((s) => [s.name, s]));
    for (const policy of ['maxprob-0.255', 'mamba-0.975'])
      expect(byName.get(`${policy}-keep`)!.tokens).not.toEqual(byName.get(`${policy}-update`)!.tokens);
  });
});

describe('a batch of prompts', () => {
  it.each([
    ['maxprob', 0.255],
    ['mamba', 0.975],
  ] as const)(
    'decodes all 16 prompts as one batch exactly as each alone (%s %s, keep and update)',
    async (policy, threshold) => {
      for (const strategy of ['keep', 'update']) {
        const setting = exiting.find(
          (s) => s.policy === policy && s.strategy === strategy && s.threshold === threshold,
        )!;
        const batched = await batchedGreedy(
          directories.get(`${policy}-${strategy}`)!,
          prompts,
          threshold,
          reference.new_tokens,
        );
        for (const k of prompts.keys()) {
          expect(batched.tokens[k], `${strategy}, prompt ${k}`).toEqual(setting.tokens[k]);
          expect(batched.exits[k]).toEqual(setting.exit_layer[k]);
        }
        // Informative: at many steps the samples of the batch leave at different layers.
        const mixed = batched.exits[0]!.filter((_, t) => new Set(batched.exits.map((e) => e[t])).size > 1);
        expect(mixed.length).toBeGreaterThan(2);
      }
    },
  );
});
