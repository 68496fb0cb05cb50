/**
 * The generated SDK of a decoder step (`decode { cache: recompute }`, whose steps also hand the layers'
 * pending inputs on): type-checked with its own tsconfig (misuse included), built, and generated against
 * PyTorch's reference (fixtures/decoder/reference/generate.json) and `DecoderModel`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSdk } from '../../src/codegen/index.js';
import { compile } from '../../src/compiler/index.js';
import { formatDiagnostics } from '../../src/diagnostics/index.js';
import { parseNpy } from '../../src/io/index.js';
import { DecoderModel, type Manifest } from '../../src/runtime/index.js';

const REPO = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(REPO, 'dsl/examples/decoder.ramp');
const FIXTURE = join(REPO, 'fixtures/decoder');
const scratch = mkdtempSync(join(tmpdir(), 'offramp-sdk-decoder-'));
symlinkSync(join(REPO, 'node_modules'), join(scratch, 'node_modules'), 'dir');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Setting {
  readonly name: string;
  readonly policy: string;
  readonly threshold?: number;
  readonly cache: string | null;
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

const MISUSE = `import { GptRecompute } from './index.js';

export async function misuse(model: GptRecompute): Promise<void> {
  // @ts-expect-error: a decoder step has no batch run
  await model.run({ input_ids: [1] });
  // @ts-expect-error: the threshold is a number
  await model.generate([1, 2], { params: { threshold: '0.5' } });
  // @ts-expect-error: a parameter the policy does not have
  await model.generate([1, 2], { params: { patience: 2 } });
  const g = await model.generate([1, 2], { maxNewTokens: 4 });
  // @ts-expect-error: exit layers are numbers
  const layer: string = g.steps[0]!.exitLayer;
  void layer;
}
`;

interface GeneratedDecoder {
  generate(
    prompt: readonly number[],
    options?: { maxNewTokens?: number; params?: { threshold?: number } },
  ): Promise<{ tokens: number[]; steps: { exitLayer: number }[] }>;
  release(): Promise<void>;
}

let directory: string;
let manifest: Manifest;
let errors: ts.Diagnostic[];
let sdkModel: GeneratedDecoder;

beforeAll(async () => {
  const source = readFileSync(EXAMPLE, 'utf8')
    .replace(/cache: \w+/, 'cache: recompute')
    .replace(/model \w+/, 'model gpt_recompute');
  const result = await compile({ file: EXAMPLE, source, outDir: scratch });
  expect(result.diagnostics, formatDiagnostics(result.diagnostics)).toEqual([]);
  directory = result.artifacts[0]!.directory;
  manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as Manifest;
  for (const f of generateSdk(manifest, { runtime: 'node', className: 'GptRecompute' })) {
    mkdirSync(dirname(join(directory, f.path)), { recursive: true });
    writeFileSync(join(directory, f.path), f.contents);
  }
  const sdkDir = join(directory, 'sdk');
  writeFileSync(join(sdkDir, 'misuse.ts'), MISUSE);
  const config = ts.readConfigFile(join(sdkDir, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, sdkDir);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  errors = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
  const sdk = await import(pathToFileURL(join(sdkDir, 'index.js')).href);
  sdkModel = await sdk.GptRecompute.create();
});

afterAll(async () => {
  await sdkModel?.release();
});

describe('the decoder SDK (recompute)', () => {
  it('type-checks and builds, misuse rejected', () => {
    const text = errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(text).toEqual([]);
  });

  it('lists the pending inputs beside the caches', () => {
    const model = readFileSync(join(directory, 'sdk/model.ts'), 'utf8');
    expect(manifest.decoder?.pending?.map((p) => p.layer)).toEqual([2, 3, 4, 5, 6]);
    for (const p of manifest.decoder!.pending!) expect(model).toContain(`'${p.output}'`);
  });

  it.each(
    reference.settings
      .filter((s) => s.policy === 'learned' && s.cache === 'recompute')
      .map((s) => [s.name, s]),
  )('generates %s as PyTorch and DecoderModel do', async (_name, setting) => {
    const s = setting as Setting;
    const runtime = await DecoderModel.load(directory, { intraOpNumThreads: 1 });
    try {
      for (const [p, prompt] of prompts.entries()) {
        const options = { maxNewTokens: reference.new_tokens, params: { threshold: s.threshold! } };
        const mine = await sdkModel.generate(prompt, options);
        expect(mine.tokens).toEqual(s.tokens[p]);
        expect(mine.steps.map((step) => step.exitLayer)).toEqual(s.exit_layer[p]);
        if (p < 2) expect(mine.tokens).toEqual((await runtime.generate(prompt, options)).tokens);
      }
    } finally {
      await runtime.release();
    }
  });
});
