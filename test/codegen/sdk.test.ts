/**
 * The generated SDK for a real compiled artifact: written to a temporary artifact directory, type-checked
 * with its own tsconfig (misuse included), built, and run on onnxruntime-node against `CompiledModel`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultClassName,
  type GeneratedFile,
  generateSdk,
  packageNameOf,
  setterName,
} from '../../src/codegen/index.js';
import { compile } from '../../src/compiler/index.js';
import { CompiledModel, int64Tensor, type Manifest } from '../../src/runtime/index.js';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

const REPO = resolve(import.meta.dirname, '../..');
const fixture = loadEncoderFixture();
const scratch = mkdtempSync(join(tmpdir(), 'offramp-sdk-'));
// The generated package resolves onnxruntime and @types/node the way an installed package would.
symlinkSync(join(REPO, 'node_modules'), join(scratch, 'node_modules'), 'dir');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const artifactDir = join(scratch, 'out', 'encoder_sdk');
const sdkDir = join(artifactDir, 'sdk');

const RAMP = `
model encoder_sdk {
  backbone "${fixturePath('backbone.onnx')}" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..6 {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" { pooler: "pabee.pooler.", linear: "pabee.classifier.{i}." }
  }
  policy pabee { patience: 2 }
  target cpu
  sdk { name: "PosTagger", runtime: both }
}
`;

/** Each `@ts-expect-error` line must be a type error (tsc reports an unused directive otherwise). */
const MISUSE = `import { PosTagger, type PosTaggerInputs, type PosTaggerResult } from './index.js';

export async function misuse(model: PosTagger): Promise<void> {
  const ids = new BigInt64Array(64);
  // @ts-expect-error: an input name the model does not have
  await model.run({ input_idz: ids, attention_mask: ids });
  // @ts-expect-error: a missing input
  await model.run({ input_ids: ids });
  // @ts-expect-error: float32 data for an int64 input
  await model.run({ input_ids: new Float32Array(64), attention_mask: ids });
  // @ts-expect-error: strings for an int64 input
  await model.run({ input_ids: ['1', '2'], attention_mask: ids });
  // @ts-expect-error: a policy parameter the policy does not have
  await model.run({ input_ids: ids, attention_mask: ids }, { patiense: 2 });
  // @ts-expect-error: a parameter of the wrong type
  await model.run({ input_ids: ids, attention_mask: ids }, { patience: '2' });
  // @ts-expect-error: a setter given the wrong type
  model.setPatience('2');
  // @ts-expect-error: no setter for another policy's parameter
  model.setQ(0.5);
  // @ts-expect-error: the batch size is a number
  await model.run({ input_ids: ids, attention_mask: ids, batch: '1' });
  // @ts-expect-error: exit layers are an Int32Array
  const exits: Float32Array = (await model.run({ input_ids: ids, attention_mask: ids })).exitLayer;
  // @ts-expect-error: an unknown create option
  await PosTagger.create({ artifactDirectory: '.' });
  void exits;
}

export async function use(): Promise<PosTaggerResult> {
  const model = await PosTagger.create({ executionProviders: ['cpu'] });
  const inputs: PosTaggerInputs = { input_ids: [1, 2n], attention_mask: [1, 1], batch: 1 };
  const result = await model.setPatience(3).setThreshold(0.5).run(inputs, { patience: 1 });
  const logits: Float32Array = result.logits;
  const predictions: Int32Array = result.predictions;
  const layers: number = result.telemetry.layersExecuted + model.stats().exitHistogram.length;
  void [logits, predictions, layers];
  await model.release();
  return result;
}
`;

function writeFiles(root: string, files: readonly GeneratedFile[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.contents);
  }
}

/** A program over the SDK folder as its generated tsconfig describes it. */
function sdkProgram(oldProgram?: ts.Program): ts.Program {
  const configPath = join(sdkDir, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, sdkDir);
  expect(parsed.errors).toEqual([]);
  return ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    ...(oldProgram ? { oldProgram } : {}),
  });
}

interface Located {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

function located(diagnostics: readonly ts.Diagnostic[]): Located[] {
  return diagnostics.map((d) => ({
    file: d.file ? d.file.fileName.slice(sdkDir.length + 1) : '',
    line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
}

/** The surface of the generated node entry this test drives. */
interface GeneratedModel {
  run(
    inputs: Record<string, BigInt64Array | readonly number[] | number>,
    params?: Record<string, number>,
  ): Promise<{
    batch: number;
    classes: number;
    logits: Float32Array;
    predictions: Int32Array;
    exitLayer: Int32Array;
    confidence: Float32Array;
    telemetry: { exitLayers: readonly number[]; layersExecuted: number };
  }>;
  setPatience(value: number): GeneratedModel;
  stats(): { calls: number; samples: number; exitHistogram: readonly number[]; meanExitLayer: number };
  release(): Promise<void>;
}
interface GeneratedSdk {
  PosTagger: { create(options?: { artifactDir?: string }): Promise<GeneratedModel> };
  INPUTS: readonly { name: string; elementType: string; shape: readonly (string | number)[] }[];
  PARAMETERS: readonly { name: string; input: string; default: number }[];
  LAYERS: number;
  EXITS: readonly number[];
}

let manifest: Manifest;
let files: GeneratedFile[];
let typeErrors: Located[];
let emitErrors: Located[];
let program: ts.Program;
const timings: Record<string, number> = {};

async function timed<T>(name: string, step: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await step();
  timings[name] = Math.round(performance.now() - started);
  return result;
}

beforeAll(async () => {
  const file = join(scratch, 'sdk.ramp');
  writeFileSync(file, RAMP);
  const result = await timed('compile', () => compile({ file, outDir: join(scratch, 'out') }));
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  manifest = JSON.parse(readFileSync(join(artifactDir, 'manifest.json'), 'utf8')) as Manifest;
  files = await timed('generate', () => generateSdk(manifest, { runtime: 'both', className: 'PosTagger' }));
  writeFiles(artifactDir, files);
  writeFileSync(join(sdkDir, 'misuse.ts'), MISUSE);
  program = await timed('type-check', () => sdkProgram());
  typeErrors = located(ts.getPreEmitDiagnostics(program));
  // What `npm run build` in the SDK folder does: each .js beside its .ts.
  emitErrors = await timed('emit', () => located(program.emit().diagnostics));
});

afterAll(() => {
  console.info(`sdk test timings (ms): ${JSON.stringify(timings)}`);
});

describe('generateSdk', () => {
  it('is pure: the same manifest gives the same files, and nothing is written', () => {
    const again = generateSdk(manifest, { runtime: 'both', className: 'PosTagger' });
    expect(again).toEqual(files);
  });

  it.each([
    ['node', ['model.ts', 'node.ts', 'index.ts']],
    ['web', ['model.ts', 'web.ts', 'index.ts']],
    ['both', ['model.ts', 'node.ts', 'web.ts', 'index.ts']],
  ] as const)('lays out the %s SDK under sdk/', (runtime, sources) => {
    const out = generateSdk(manifest, { runtime, className: 'PosTagger' });
    expect(out.map((f) => f.path)).toEqual([
      ...sources.map((s) => `sdk/${s}`),
      'sdk/package.json',
      'sdk/tsconfig.json',
      'sdk/README.md',
    ]);
    const index = out.find((f) => f.path === 'sdk/index.ts')!.contents;
    expect(index).toContain(runtime === 'web' ? "export * from './web.js'" : "export * from './node.js'");
    const pkg = JSON.parse(out.find((f) => f.path === 'sdk/package.json')!.contents);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(
      runtime === 'both'
        ? ['onnxruntime-node', 'onnxruntime-web']
        : [runtime === 'node' ? 'onnxruntime-node' : 'onnxruntime-web'],
    );
  });

  it('starts every TypeScript file with the generated-file header', () => {
    for (const f of files.filter((f) => f.path.endsWith('.ts'))) {
      expect(f.contents.split('\n')[0]).toMatch(/^\/\/ Generated by Offramp .* Do not edit/);
    }
    expect(files.find((f) => f.path === 'sdk/README.md')!.contents).toContain('Do not edit');
  });

  it('imports only onnxruntime, node built-ins and its own files', () => {
    const imports = (path: string) =>
      [...files.find((f) => f.path === path)!.contents.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports('sdk/node.ts')).toEqual([
      'node:path',
      'node:url',
      'onnxruntime-node',
      './model.js',
      './model.js',
    ]);
    expect(imports('sdk/web.ts')).toEqual(['onnxruntime-web/webgpu', './model.js', './model.js']);
    expect(imports('sdk/model.ts')).toEqual([]);
    expect(files.find((f) => f.path === 'sdk/web.ts')!.contents).toContain("['webgpu']");
  });

  it('documents each policy parameter with its description, default and range', () => {
    const model = files.find((f) => f.path === 'sdk/model.ts')!.contents;
    for (const p of manifest.policy.parameters) {
      expect(model).toContain(p.description);
      expect(model).toContain(`Fed as the ${p.elementType} graph input \`${p.input}\`.`);
    }
    expect(model).toContain('Default: 2. Range: an integer, ≥ 0.');
    expect(model).toMatch(/setPatience\(value: number\): this/);
  });

  it('names setters, packages and default classes from the manifest names', () => {
    expect(setterName('patience')).toBe('setPatience');
    expect(setterName('min_exit')).toBe('setMinExit');
    expect(setterName('normalizedEntropy')).toBe('setNormalizedEntropy');
    expect(packageNameOf('PosTagger')).toBe('pos-tagger');
    expect(defaultClassName('encoder_pabee')).toBe('EncoderPabee');
    expect(defaultClassName('3layer')).toBe('Model3layer');
  });

  it('rejects a class name that is not an identifier', () => {
    expect(() => generateSdk(manifest, { runtime: 'node', className: 'Pos Tagger' })).toThrow(/identifier/);
  });
});

describe('the generated SDK, type-checked with its own tsconfig', () => {
  it('has no type errors, so every @ts-expect-error misuse is an error', () => {
    expect(typeErrors).toEqual([]);
    expect(emitErrors).toEqual([]);
  });

  it('reports each misuse on its own line once the directives are gone', async () => {
    const lines = MISUSE.split('\n');
    const expected = lines.flatMap((l, k) => (l.includes('@ts-expect-error') ? [k + 2] : []));
    expect(expected).toHaveLength(11);
    writeFileSync(
      join(sdkDir, 'misuse.ts'),
      lines.map((l) => (l.includes('@ts-expect-error') ? '//' : l)).join('\n'),
    );
    try {
      const stripped = await timed('type-check-misuse', () => sdkProgram(program));
      const errors = located(ts.getPreEmitDiagnostics(stripped));
      expect(errors.every((e) => e.file === 'misuse.ts')).toBe(true);
      expect([...new Set(errors.map((e) => e.line))]).toEqual(expected);
    } finally {
      writeFileSync(join(sdkDir, 'misuse.ts'), MISUSE);
    }
  });
});

describe('the generated node SDK on onnxruntime-node', () => {
  let sdk: GeneratedSdk;
  let generated: GeneratedModel;
  let reference: CompiledModel;
  const t = fixture.sequence;
  const slice = (a: BigInt64Array, start: number, n: number) => a.slice(start * t, (start + n) * t);

  beforeAll(async () => {
    sdk = (await import(pathToFileURL(join(sdkDir, 'index.js')).href)) as GeneratedSdk;
    // No artifactDir: the SDK finds the model in the folder above it.
    generated = await sdk.PosTagger.create();
    reference = await CompiledModel.load(artifactDir);
  });
  afterAll(async () => {
    await generated?.release();
    await reference?.release();
  });

  it('carries the manifest constants, so it needs no manifest at run time', () => {
    expect(sdk.LAYERS).toBe(manifest.layers);
    expect(sdk.EXITS).toEqual(manifest.exits);
    expect(sdk.INPUTS).toEqual(manifest.inputs);
    expect(sdk.PARAMETERS.map((p) => [p.name, p.input, p.default])).toEqual(
      manifest.policy.parameters.map((p) => [p.name, p.input, p.default]),
    );
  });

  it.each([
    ['the compiled defaults', {}],
    ['patience 1', { patience: 1 }],
    ['patience 4', { patience: 4 }],
  ])('gives CompiledModel’s exits, predictions and logits with %s', async (_, params) => {
    const seen = new Set<number>();
    for (const [start, n] of [
      [0, 16],
      [16, 16],
      [40, 1],
      [57, 3],
    ] as const) {
      const ids = slice(fixture.inputIds, start, n);
      const mask = slice(fixture.attentionMask, start, n);
      const mine = await generated.run({ input_ids: ids, attention_mask: mask, batch: n }, params);
      const theirs = await reference.run(
        { input_ids: int64Tensor(ids, [n, t]), attention_mask: int64Tensor(mask, [n, t]) },
        { params },
      );
      expect(mine.batch).toBe(n);
      expect(mine.classes).toBe(fixture.classes);
      expect([...mine.exitLayer]).toEqual([...theirs.exitLayer]);
      expect([...mine.predictions]).toEqual([...theirs.predictions]);
      expect(mine.logits).toHaveLength(theirs.logits.length);
      for (let i = 0; i < theirs.logits.length; i++)
        expect(Math.abs(mine.logits[i]! - theirs.logits[i]!)).toBeLessThan(1e-6);
      for (let i = 0; i < n; i++) expect(mine.confidence[i]).toBeCloseTo(theirs.confidence[i]!, 6);
      expect(mine.telemetry.layersExecuted).toBe(Math.max(...theirs.exitLayer));
      for (const layer of mine.exitLayer) seen.add(layer);
    }
    // The comparison means something only if the policy really exits at different layers.
    expect(seen.size).toBeGreaterThan(1);
  });

  it('takes plain number arrays as well as typed arrays, and setters as well as per-call params', async () => {
    const ids = slice(fixture.inputIds, 0, 8);
    const mask = slice(fixture.attentionMask, 0, 8);
    const typed = await generated.run({ input_ids: ids, attention_mask: mask, batch: 8 }, { patience: 1 });
    generated.setPatience(1);
    const plain = await generated.run({
      input_ids: [...ids].map(Number),
      attention_mask: [...mask].map(Number),
      batch: 8,
    });
    generated.setPatience(manifest.policy.parameters[0]!.default as number);
    expect([...plain.exitLayer]).toEqual([...typed.exitLayer]);
    expect([...plain.logits]).toEqual([...typed.logits]);
  });

  it('rejects out-of-range parameters and misshapen inputs before running', async () => {
    const ids = slice(fixture.inputIds, 0, 2);
    expect(() => generated.setPatience(-1)).toThrow(RangeError);
    expect(() => generated.setPatience(1.5)).toThrow(/integer/);
    await expect(
      generated.run({ input_ids: ids, attention_mask: ids, batch: 2 }, { patience: -2 }),
    ).rejects.toThrow(/patience/);
    await expect(generated.run({ input_ids: ids, attention_mask: ids, batch: 3 })).rejects.toThrow(
      /do not fit/,
    );
    await expect(generated.run({ input_ids: ids, batch: 2 })).rejects.toThrow(
      /missing input 'attention_mask'/,
    );
  });

  it('keeps exit statistics over its calls', async () => {
    const before = generated.stats();
    const out = await generated.run({
      input_ids: slice(fixture.inputIds, 0, 8),
      attention_mask: slice(fixture.attentionMask, 0, 8),
      batch: 8,
    });
    const after = generated.stats();
    expect(after.calls).toBe(before.calls + 1);
    expect(after.samples).toBe(before.samples + 8);
    for (let k = 1; k <= manifest.layers; k++) {
      const here = [...out.exitLayer].filter((l) => l === k).length;
      expect(after.exitHistogram[k - 1]).toBe(before.exitHistogram[k - 1]! + here);
    }
    const total = after.exitHistogram.reduce((a, n, k) => a + n * (k + 1), 0);
    expect(after.meanExitLayer).toBeCloseTo(total / after.samples, 10);
  });
});

/**
 * Policies whose SDK differs in shape: entropy's per-exit thresholds (a vector input) and PonderNet's
 * sampled exits (a uniforms input). Both SDKs are built in one program and run against CompiledModel.
 */
describe('SDKs of per-exit and sampling policies', () => {
  const RAMPS = `
model sdk_entropy {
  backbone "${fixturePath('backbone.onnx')}" { layers "/bert/encoder/layer.{i}/" }
  exits after [2, 4, 6] {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" { pooler: "pabee.pooler.", linear: "pabee.classifier.{i}." }
  }
  policy entropy { thresholds: [0.8, 0.7, 0.6], normalized: true }
}

model sdk_pondernet {
  backbone "${fixturePath('backbone.onnx')}" { layers "/bert/encoder/layer.{i}/" }
  exits after 1..6 {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" { pooler: "palbert.pooler.", linear: "palbert.classifier." }
  }
  policy pondernet { lambda: mlp weights "${fixturePath('heads.safetensors')}" key "palbert.lambda." }
}
`;
  const dirOf = (model: string) => join(scratch, 'more', model);
  type Run = (
    inputs: Record<string, BigInt64Array | number>,
    params?: Record<string, number | readonly number[]>,
    sampling?: { seed?: number },
  ) => Promise<{ exitLayer: Int32Array; predictions: Int32Array; logits: Float32Array }>;
  const models: Record<string, { run: Run; release(): Promise<void> }> = {};
  let errors: Located[];

  beforeAll(async () => {
    const file = join(scratch, 'more.ramp');
    writeFileSync(file, RAMPS);
    const result = await compile({ file, outDir: join(scratch, 'more') });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const roots: string[] = [];
    for (const [model, className] of [
      ['sdk_entropy', 'GenreByEntropy'],
      ['sdk_pondernet', 'GenreByPonder'],
    ] as const) {
      const m = JSON.parse(readFileSync(join(dirOf(model), 'manifest.json'), 'utf8')) as Manifest;
      const out = generateSdk(m, { runtime: 'node', className });
      writeFiles(dirOf(model), out);
      roots.push(...out.filter((f) => f.path.endsWith('.ts')).map((f) => join(dirOf(model), f.path)));
    }
    const config = ts.readConfigFile(join(dirOf('sdk_entropy'), 'sdk', 'tsconfig.json'), ts.sys.readFile);
    const options = ts.parseJsonConfigFileContent(
      config.config,
      ts.sys,
      join(dirOf('sdk_entropy'), 'sdk'),
    ).options;
    const both = await timed('type-check-more', () => ts.createProgram({ rootNames: roots, options }));
    errors = located([...ts.getPreEmitDiagnostics(both), ...both.emit().diagnostics]);
    for (const [model, className] of [
      ['sdk_entropy', 'GenreByEntropy'],
      ['sdk_pondernet', 'GenreByPonder'],
    ] as const) {
      const sdk = await import(pathToFileURL(join(dirOf(model), 'sdk', 'index.js')).href);
      models[model] = await sdk[className].create();
    }
  });
  afterAll(async () => {
    for (const m of Object.values(models)) await m.release();
  });

  it('type-check and build', () => {
    expect(errors).toEqual([]);
  });

  it.each([
    ['sdk_entropy', {}, undefined],
    ['sdk_entropy', { threshold: 0.8 }, undefined],
    ['sdk_entropy', { threshold: [0.5, 0.6, 0.7] }, undefined],
    ['sdk_pondernet', {}, 7],
    ['sdk_pondernet', {}, 11],
  ] as const)('%s with %o (seed %s) gives CompiledModel’s results', async (model, params, seed) => {
    const reference = await CompiledModel.load(dirOf(model));
    try {
      const t = fixture.sequence;
      const n = 24;
      const ids = fixture.inputIds.slice(0, n * t);
      const mask = fixture.attentionMask.slice(0, n * t);
      const sampling = seed === undefined ? {} : { seed };
      const mine = await models[model]!.run(
        { input_ids: ids, attention_mask: mask, batch: n },
        params,
        sampling,
      );
      // The SDK spreads one number over every exit; CompiledModel needs the vector spelled out.
      const spread = Object.fromEntries(
        Object.entries(params).map(([k, v]) => [k, typeof v === 'number' ? [v, v, v] : v]),
      );
      const theirs = await reference.run(
        { input_ids: int64Tensor(ids, [n, t]), attention_mask: int64Tensor(mask, [n, t]) },
        { params: spread, ...sampling },
      );
      expect([...mine.exitLayer]).toEqual([...theirs.exitLayer]);
      expect([...mine.predictions]).toEqual([...theirs.predictions]);
      for (let i = 0; i < theirs.logits.length; i++)
        expect(Math.abs(mine.logits[i]! - theirs.logits[i]!)).toBeLessThan(1e-6);
      expect(new Set(mine.exitLayer).size).toBeGreaterThan(1);
    } finally {
      await reference.release();
    }
  });
});
