/**
 * The generated SDK of a recurrent decoder step: `dsl/examples/mamba-decoder.ramp` (Mamba LM, max-prob exits,
 * `decode { cache: update }`) compiled with an `sdk` block, so `compile()` writes the SDK into the artifact.
 * Type-checked with its own tsconfig (misuse included), built, and generating PyTorch's reference
 * (fixtures/mamba-lm/reference/generate.json) and what `DecoderModel` generates, token by token and exit by
 * exit. Its caches are the blocks' conv/SSM states, of fixed size: the first step feeds them as zeros.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { parseNpy } from '../../src/io/index.js';
import { DecoderModel, type Manifest } from '../../src/runtime/index.js';

const REPO = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(REPO, 'dsl/examples/mamba-decoder.ramp');
const FIXTURE = join(REPO, 'fixtures/mamba-lm');
const scratch = join(tmpdir(), `offramp-sdk-mamba-${process.pid}-${Date.now()}`);
mkdirSync(scratch);
// The generated package resolves onnxruntime-node and @types/node the way an installed package would.
symlinkSync(join(REPO, 'node_modules'), join(scratch, 'node_modules'), 'dir');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Setting {
  readonly name: string;
  readonly policy: string;
  readonly threshold?: number;
  readonly strategy: string | null;
  readonly tokens: number[][];
  readonly exit_layer: number[][];
}
const reference = JSON.parse(readFileSync(join(FIXTURE, 'reference/generate.json'), 'utf8')) as {
  prompt_length: number;
  new_tokens: number;
  settings: Setting[];
};
const promptsArray = parseNpy(readFileSync(join(FIXTURE, 'eval/prompts.npy')), 'prompts.npy').array!;
const prompts = Array.from({ length: promptsArray.shape[0]! }, (_, p) =>
  Array.from(
    (promptsArray.data as BigInt64Array).subarray(
      p * reference.prompt_length,
      (p + 1) * reference.prompt_length,
    ),
    Number,
  ),
);
/** The example's strategy and its two max-prob reference settings (0.165, 0.255). */
const settings = reference.settings.filter((s) => s.policy === 'maxprob' && s.strategy === 'update');

/** Each `@ts-expect-error` line must be a type error (tsc reports an unused directive otherwise). */
const MISUSE = `import { DECODER, MambaLm, type MambaLmGeneration } from './index.js';

export async function misuse(model: MambaLm): Promise<void> {
  // @ts-expect-error: a decoder step has no batch run (its states come from the step before)
  await model.run({ input_ids: [1] });
  // @ts-expect-error: the threshold is a number
  await model.generate([1, 2], { params: { threshold: '0.3' } });
  // @ts-expect-error: a parameter max-prob does not have
  await model.generate([1, 2], { params: { patience: 2 } });
  // @ts-expect-error: the state strategy is compiled in, not a generation option
  await model.generate([1, 2], { cache: 'keep' });
  // @ts-expect-error: the prompt is token ids
  await model.generate(['the', 'first']);
  // @ts-expect-error: the sampling seed is a number
  await model.generate([1, 2], { sampling: { seed: 'seven' } });
  // @ts-expect-error: the state wiring is read-only
  DECODER.caches[0]!.past = 'past_conv.9';
  const g: MambaLmGeneration = await model.generate([1, 2], { maxNewTokens: 4 });
  // @ts-expect-error: exit layers are numbers
  const layer: string = g.steps[0]!.exitLayer;
  void layer;
}

export async function use(): Promise<number[]> {
  const model = await MambaLm.create({ executionProviders: ['cpu'] });
  const tokens: number[] = [];
  for await (const step of model.setThreshold(0.3).stream([5, 6, 7], { maxNewTokens: 3, stopTokens: [0] }))
    tokens.push(step.token + step.exitLayer * 0);
  const states: readonly (number | string)[] = DECODER.caches[1]!.shape;
  void states;
  await model.release();
  return tokens;
}
`;

/** The surface of the generated node entry this test drives. */
interface GeneratedDecoder {
  generate(
    prompt: readonly number[],
    options?: {
      maxNewTokens?: number;
      stopTokens?: readonly number[];
      params?: { threshold?: number };
      sampling?: { temperature?: number; topK?: number; seed?: number };
    },
  ): Promise<{ tokens: number[]; steps: { exitLayer: number; confidence: number }[] }>;
  release(): Promise<void>;
}

let directory: string;
let manifest: Manifest;
let errors: ts.Diagnostic[];
let sdkModel: GeneratedDecoder;
let runtime: DecoderModel;

beforeAll(async () => {
  const source = readFileSync(EXAMPLE, 'utf8').replace(
    'target cpu',
    'target cpu\n  sdk { name: "MambaLm", runtime: node }',
  );
  expect(source).toContain('sdk {');
  const result = await compile({ file: EXAMPLE, source, outDir: scratch });
  expect(result.diagnostics, formatDiagnostics(result.diagnostics, { color: false })).toEqual([]);
  directory = result.artifacts[0]!.directory;
  manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as Manifest;
  const sdkDir = join(directory, 'sdk');
  writeFileSync(join(sdkDir, 'misuse.ts'), MISUSE);
  const config = ts.readConfigFile(join(sdkDir, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, sdkDir);
  expect(parsed.errors).toEqual([]);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  // What `npm run build` in the SDK folder does: each .js beside its .ts.
  errors = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
  const sdk = await import(pathToFileURL(join(sdkDir, 'index.js')).href);
  sdkModel = await sdk.MambaLm.create();
  runtime = await DecoderModel.load(directory, { intraOpNumThreads: 1 });
}, 60_000);

afterAll(async () => {
  await sdkModel?.release();
  await runtime?.release();
});

describe('the Mamba decoder SDK (cache: update)', () => {
  it('type-checks and builds, misuse rejected', () => {
    const text = errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(text).toEqual([]);
  });

  it('wires the conv/SSM states of all 6 blocks and no pending inputs', () => {
    const model = readFileSync(join(directory, 'sdk/model.ts'), 'utf8');
    expect(manifest.decoder?.cache).toBe('update');
    expect(manifest.decoder?.pending ?? []).toEqual([]);
    const caches = manifest.decoder!.caches;
    expect(caches.map((c) => c.past)).toEqual(
      [0, 1, 2, 3, 4, 5].flatMap((i) => [`past_conv.${i}`, `past_ssm.${i}`]),
    );
    expect(caches.map((c) => c.shape)).toEqual(
      [0, 1, 2, 3, 4, 5].flatMap(() => [
        ['batch', 128, 3],
        ['batch', 128, 16],
      ]),
    );
    for (const c of caches) expect(model).toContain(`present: '${c.present}'`);
    expect(model).toContain('Default: 0.255.');
  });

  it.each(settings.map((s) => [s.name, s] as const))(
    'generates %s as PyTorch and DecoderModel do',
    async (_name, setting) => {
      const options = { maxNewTokens: reference.new_tokens, params: { threshold: setting.threshold! } };
      for (const [p, prompt] of prompts.entries()) {
        const mine = await sdkModel.generate(prompt, options);
        const exits = mine.steps.map((step) => step.exitLayer);
        expect(mine.tokens, `prompt ${p}`).toEqual(setting.tokens[p]);
        expect(exits, `prompt ${p}`).toEqual(setting.exit_layer[p]);
        const theirs = await runtime.generate(prompt, options);
        expect(mine.tokens, `prompt ${p}`).toEqual(theirs.tokens);
        expect(exits, `prompt ${p}`).toEqual(theirs.steps.map((s) => s.exitLayer));
      }
      // Informative: the setting exits early somewhere, so skipped blocks' states were updated.
      expect(setting.exit_layer.flat().some((l) => l < 6)).toBe(true);
    },
  );

  it('uses the compiled threshold (0.255) by default; at 1 it never exits; past 1 it refuses', async () => {
    const at0255 = settings.find((s) => s.threshold === 0.255)!;
    const never = reference.settings.find((s) => s.policy === 'never')!;
    for (const p of [0, 7]) {
      const byDefault = await sdkModel.generate(prompts[p]!, { maxNewTokens: reference.new_tokens });
      expect(byDefault.tokens).toEqual(at0255.tokens[p]);
      const full = await sdkModel.generate(prompts[p]!, {
        maxNewTokens: reference.new_tokens,
        params: { threshold: 1 },
      });
      expect(full.tokens).toEqual(never.tokens[p]);
      expect(full.steps.every((s) => s.exitLayer === 6)).toBe(true);
    }
    // The SDK checks the manifest's range (DecoderModel feeds any number).
    await expect(sdkModel.generate(prompts[0]!, { params: { threshold: 1.5 } })).rejects.toThrow(
      /threshold.*≤ 1; got 1.5/,
    );
  });

  it('samples (seeded) and stops as DecoderModel does', async () => {
    const options = {
      maxNewTokens: reference.new_tokens,
      params: { threshold: 0.165 },
      sampling: { temperature: 0.8, topK: 20, seed: 11 },
    };
    for (const p of [2, 3]) {
      const mine = await sdkModel.generate(prompts[p]!, options);
      const theirs = await runtime.generate(prompts[p]!, options);
      expect(mine.tokens).toEqual(theirs.tokens);
      expect(mine.steps.map((s) => s.exitLayer)).toEqual(theirs.steps.map((s) => s.exitLayer));
      expect(mine.steps.map((s) => s.confidence)).toEqual(theirs.steps.map((s) => s.confidence));
      // Stopping at the 5th token's id ends both at its first occurrence.
      const stop = { ...options, stopTokens: [theirs.tokens[4]!] };
      const stopped = await sdkModel.generate(prompts[p]!, stop);
      expect(stopped.tokens).toEqual((await runtime.generate(prompts[p]!, stop)).tokens);
      expect(stopped.tokens.length).toBeLessThanOrEqual(5);
    }
  });
});
