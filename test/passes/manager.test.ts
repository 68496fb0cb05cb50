import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { diagnostic } from '../../src/diagnostics/index.js';
import {
  Builder,
  ElementType,
  Graph,
  importModel,
  Model,
  printModel,
  removeNode,
  verifyModel,
  writeModel,
} from '../../src/ir/index.js';
import type { CompilerPass } from '../../src/passes/compiler-pass.js';
import type { CompileContext } from '../../src/passes/context.js';
import { eliminateDeadNodes } from '../../src/passes/eliminate-dead-nodes.js';
import { parameterInputName } from '../../src/passes/index.js';
import { runPasses } from '../../src/passes/manager.js';
import {
  type Pass,
  type PassContext,
  parsePipeline,
  passRegistry,
  pipelineText,
} from '../../src/passes/pass.js';
import { CHAIN_PIPELINE, runChainPipeline } from '../../src/passes/pipeline.js';
import { SafetensorsWeights } from '../../src/passes/weights.js';
import { fixturePath, loadEncoderFixture, planFor, scalarFeed } from '../support/encoder-fixture.js';

const backboneBytes = readFileSync(fixturePath('backbone.onnx'));

function setup(): { model: Model; ctx: CompileContext } {
  const plan = planFor('pabee', { patience: 2 });
  const { model, diagnostics } = importModel(backboneBytes, plan.backbone);
  expect(diagnostics).toEqual([]);
  const ctx: CompileContext = {
    plan,
    file: plan.backbone,
    diagnostics: [],
    exits: [],
    parameterInputs: new Map(),
    weights: new SafetensorsWeights(),
    statistics: {},
  };
  return { model: model!, ctx };
}

/** Deletes the first LayerNormalization although later nodes read its output. */
const dropLayerNorm: CompilerPass = {
  name: 'drop-layer-norm',
  summary: 'A deliberately broken pass.',
  requires: ['layers-known'],
  ensures: [],
  run(model) {
    removeNode(model.graph.nodes.find((n) => n.op === 'LayerNormalization')!);
    return { modified: true, statistics: { removed: 1 } };
  },
};

const explode: CompilerPass = {
  name: 'explode',
  summary: 'A pass with an internal bug.',
  requires: [],
  ensures: [],
  run() {
    throw new Error('index out of range in explode');
  },
};

const registry = passRegistry<CompileContext>([...CHAIN_PIPELINE, dropLayerNorm, explode]);
const CHAIN = CHAIN_PIPELINE.map((p) => p.name).join(',');

describe('the pass manager', () => {
  it('runs the chain pipeline from its string, verifying, printing and timing each pass', async () => {
    const { model, ctx } = setup();
    const log: string[] = [];
    const result = await runPasses(model, CHAIN, ctx, {
      registry,
      printIrAfter: ['prune-unused'],
      timing: true,
      log: (t) => log.push(t),
    });
    expect(ctx.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.pipeline).toBe(CHAIN);
    expect(result.runs.map((r) => r.name)).toEqual(CHAIN_PIPELINE.map((p) => p.name));
    expect([...result.facts]).toEqual(CHAIN_PIPELINE.flatMap((p) => p.ensures));
    expect(result.runs.every((r) => r.ms >= 0)).toBe(true);
    expect(log.filter((t) => t.startsWith('// IR after'))).toHaveLength(1);
    expect(log[0]).toContain('// IR after prune-unused');
    expect(log[0]).toContain('= If(');
    for (const pass of CHAIN_PIPELINE) expect(log[1]).toContain(pass.name);

    // The same model, byte for byte, as the existing pipeline compiles.
    const reference = await runChainPipeline(planFor('pabee', { patience: 2 }), { verifyEach: true });
    const bytes = writeModel(model);
    expect(Buffer.from(bytes).equals(Buffer.from(reference.bytes!))).toBe(true);
    expect(result.runs.find((r) => r.name === 'prune-unused')!.statistics).toEqual(
      reference.statistics['prune-unused'],
    );

    const f = loadEncoderFixture();
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const n = 4;
    const out = await session.run({
      input_ids: new ort.Tensor('int64', f.inputIds.slice(0, n * f.sequence), [n, f.sequence]),
      attention_mask: new ort.Tensor('int64', f.attentionMask.slice(0, n * f.sequence), [n, f.sequence]),
      [parameterInputName('patience')]: scalarFeed('int64', 2),
    });
    const exits = [...(out.exit_layer!.data as BigInt64Array)].map(Number);
    expect(exits).toEqual(f.policies.pabee!.find((p) => p.settings.patience === 2)!.exit_layer.slice(0, n));
  });

  it('writes a reproducer when a pass breaks the IR, and the reproducer replays the failure', async () => {
    const { model, ctx } = setup();
    const dir = join(mkdtempSync(join(tmpdir(), 'offramp-repro-')), 'repro');
    const result = await runPasses(model, 'discover-exit-layers,drop-layer-norm,insert-exit-heads', ctx, {
      registry,
      reproducerDir: dir,
    });
    expect(result).toMatchObject({ ok: false, failedPass: 'drop-layer-norm', reproducer: dir });
    expect(result.runs.map((r) => r.name)).toEqual(['discover-exit-layers', 'drop-layer-norm']);
    expect(ctx.diagnostics[0]).toMatchObject({ code: 'OR4011' });
    expect(ctx.diagnostics[0]!.message).toContain(dir);
    expect(ctx.diagnostics.slice(1).map((d) => d.code)).toContain('OR4002');

    expect(readdirSync(dir).sort()).toEqual([
      'after-drop-layer-norm.ir',
      'diagnostics.json',
      'input.ir',
      'input.onnx',
      'pipeline.txt',
    ]);
    expect(readFileSync(join(dir, 'input.ir'), 'utf8')).toBe(printModel(importModel(backboneBytes).model!));
    // The input is the model before any pass: here the fixture itself, byte for byte.
    expect(readFileSync(join(dir, 'input.onnx')).equals(backboneBytes)).toBe(true);
    const pipeline = readFileSync(join(dir, 'pipeline.txt'), 'utf8').trim();
    expect(pipeline).toBe('discover-exit-layers,drop-layer-norm,insert-exit-heads');
    const saved = JSON.parse(readFileSync(join(dir, 'diagnostics.json'), 'utf8'));
    expect(saved.failedPass).toBe('drop-layer-norm');
    expect(saved.diagnostics.map((d: { code: string }) => d.code)).toEqual(
      ctx.diagnostics.map((d) => d.code),
    );
    const layerNorms = (ir: string) =>
      ir.split('\n').filter((l) => l.includes('= LayerNormalization(')).length;
    const before = layerNorms(printModel(importModel(backboneBytes).model!));
    expect(before).toBeGreaterThan(1);
    expect(layerNorms(readFileSync(join(dir, 'after-drop-layer-norm.ir'), 'utf8'))).toBe(before - 1);

    const replay = setup();
    const again = await runPasses(
      importModel(readFileSync(join(dir, 'input.onnx'))).model!,
      pipeline,
      replay.ctx,
      { registry },
    );
    expect(again.failedPass).toBe('drop-layer-norm');
    expect(replay.ctx.diagnostics.map((d) => d.code)).toEqual(ctx.diagnostics.map((d) => d.code));
  });

  it('turns a throwing pass into OR9001 with a reproducer', async () => {
    const { model, ctx } = setup();
    const dir = join(mkdtempSync(join(tmpdir(), 'offramp-repro-')), 'r');
    const result = await runPasses(model, [CHAIN_PIPELINE[0]!, explode], ctx, { reproducerDir: dir });
    expect(result).toMatchObject({ ok: false, failedPass: 'explode', reproducer: dir });
    expect(ctx.diagnostics).toHaveLength(1);
    expect(ctx.diagnostics[0]).toMatchObject({ code: 'OR9001' });
    expect(ctx.diagnostics[0]!.message).toContain("pass 'explode' threw");
    expect(ctx.diagnostics[0]!.message).toContain('index out of range in explode');
    expect(readFileSync(join(dir, 'pipeline.txt'), 'utf8')).toBe('discover-exit-layers,explode\n');
  });

  it('refuses a pipeline whose requirements no earlier pass ensures, before running anything', async () => {
    const { model, ctx } = setup();
    const result = await runPasses(model, 'insert-exit-heads,prune-unused', ctx, { registry });
    expect(result.ok).toBe(false);
    expect(result.runs).toEqual([]);
    expect(ctx.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        'OR4010',
        "pass 'insert-exit-heads' requires 'layers-known', which no earlier pass in the pipeline ensures",
      ],
      [
        'OR4010',
        "pass 'prune-unused' requires 'layers-skipped', which no earlier pass in the pipeline ensures",
      ],
    ]);
    expect(Buffer.from(writeModel(model)).equals(backboneBytes)).toBe(true);
    // Facts that already hold satisfy requirements.
    const fresh = setup();
    const pruned = await runPasses(fresh.model, 'prune-unused', fresh.ctx, {
      registry,
      facts: ['layers-skipped'],
    });
    expect(pruned.ok).toBe(true);
  });

  it('names an unknown pass with a did-you-mean', async () => {
    const { model, ctx } = setup();
    const result = await runPasses(model, 'discover-exit-layers,prune-unsued', ctx, { registry });
    expect(result.ok).toBe(false);
    expect(ctx.diagnostics).toHaveLength(1);
    expect(ctx.diagnostics[0]).toMatchObject({ code: 'OR4009', suggestion: 'prune-unused' });
  });
});

/**
 * x → Relu → If(cond) { then: x·W (W an outer initializer only this branch reads), else: relu + bias },
 * plus dead work: a Tanh nobody reads, a Sigmoid whose only reader is dead, and an unread initializer.
 */
function captureModel(): { model: Model; weight: string; relu: string } {
  const graph = new Graph('capture', undefined);
  const model = new Model(graph, [{ domain: '', version: 17 }], 8, { producerName: 'offramp-test' });
  const b = new Builder(model, graph);
  const x = b.addInput('x', { elementType: ElementType.float32, shape: [2, 3] });
  const cond = b.addInput('cond', { elementType: ElementType.bool, shape: [] });
  const w = b.constant(
    'W',
    Float32Array.from({ length: 9 }, (_, k) => k / 10),
    [3, 3],
  );
  const bias = b.constant('bias', Float32Array.of(1, 2, 3), [3]);
  b.constant('unread', Float32Array.of(7), [1]);
  const relu = b.op('Relu', [x]);
  b.op('Sigmoid', [b.op('Tanh', [relu])]);
  const ifNode = b.ifNode({
    cond,
    thenBranch: (t) => [t.op('MatMul', [x, w])],
    elseBranch: (e) => [e.op('Add', [relu, bias])],
    outputs: ['y'],
    outputTypes: [{ elementType: ElementType.float32, shape: [2, 3] }],
  });
  b.addOutput(ifNode.outputs[0]!);
  return { model, weight: w.name, relu: relu.name };
}

async function runCapture(bytes: Uint8Array, cond: boolean): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const out = await session.run({
    x: new ort.Tensor('float32', Float32Array.of(-1, 2, -3, 4, -5, 6), [2, 3]),
    cond: new ort.Tensor('bool', Uint8Array.of(cond ? 1 : 0), []),
  });
  return out.y!.data as Float32Array;
}

describe('eliminate-dead-nodes', () => {
  it('keeps what only a branch reads, drops the rest, and the model computes the same', async () => {
    const { model, weight, relu } = captureModel();
    const before = writeModel(model);
    const ctx: PassContext = { diagnostics: [] };
    const result = await runPasses(model, [eliminateDeadNodes], ctx);
    expect(result.ok).toBe(true);
    expect(result.runs[0]!.statistics).toEqual({ 'removed-nodes': 2, 'removed-initializers': 1 });
    expect(model.graph.initializers.has(weight)).toBe(true);
    expect(model.graph.initializers.has('unread')).toBe(false);
    expect(model.graph.nodes.map((n) => n.op)).toEqual(['Relu', 'If']);
    expect(model.graph.nodes[0]!.outputs[0]!.name).toBe(relu);
    expect(verifyModel(model)).toEqual([]);
    const after = writeModel(model);
    for (const cond of [true, false])
      expect(await runCapture(after, cond)).toEqual(await runCapture(before, cond));
    // A second run finds nothing left to do.
    const again = await runPasses(model, [eliminateDeadNodes], ctx);
    expect(again.runs[0]!.modified).toBe(false);
  });

  it('takes its options from the pipeline string', async () => {
    const { model } = captureModel();
    const registry = passRegistry<PassContext>([eliminateDeadNodes]);
    const ctx: PassContext = { diagnostics: [] };
    const result = await runPasses(model, 'eliminate-dead-nodes{initializers=false}', ctx, { registry });
    expect(result.runs[0]!.options).toEqual({ initializers: false });
    expect(result.pipeline).toBe('eliminate-dead-nodes{initializers=false}');
    expect(model.graph.initializers.has('unread')).toBe(true);
    expect(result.runs[0]!.statistics['removed-nodes']).toBe(2);
  });
});

describe('pipeline strings', () => {
  type Opts = { readonly factor: number; readonly label: string; readonly strict: boolean };
  const configurable: Pass<PassContext, Opts> = {
    name: 'configurable',
    summary: 'Reports its options as diagnostics-free statistics.',
    requires: [],
    ensures: [],
    defaults: { factor: 1, label: 'none', strict: false },
    run(_model, _ctx, options = { factor: 1, label: 'none', strict: false }) {
      return { modified: false, statistics: { factor: options.factor, strict: options.strict ? 1 : 0 } };
    },
  };
  const registry = passRegistry<PassContext>([configurable, eliminateDeadNodes]);

  it('parses options per step, typed by their defaults, and prints them back', () => {
    const parsed = parsePipeline(
      ' configurable{factor=2.5 label=x,strict} , eliminate-dead-nodes ',
      registry,
    );
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.steps.map((s) => s.options)).toEqual([
      { factor: 2.5, label: 'x', strict: true },
      { initializers: true },
    ]);
    const text = pipelineText(parsed.steps);
    expect(text).toBe('configurable{factor=2.5 label=x strict=true},eliminate-dead-nodes');
    expect(parsePipeline(text, registry).steps).toEqual(parsed.steps);
  });

  it.each([
    ['configurable{facter=2}', "no option 'facter'", 'factor'],
    ['configurable{factor=big}', "option 'factor' expects a number", undefined],
    ['configurable{strict=maybe}', "option 'strict' expects true or false", undefined],
    ['configurable{factor=2', 'unbalanced braces', undefined],
  ])('reports %s as OR4013', (text, message, suggestion) => {
    const { diagnostics } = parsePipeline(text, registry);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: 'OR4013', ...(suggestion ? { suggestion } : {}) });
    expect(diagnostics[0]!.message).toContain(message);
  });

  it('collects the diagnostics a pass returns and stops on an error', async () => {
    const complain: Pass = {
      name: 'complain',
      summary: 'Reports a user error.',
      requires: [],
      ensures: [],
      run: () => ({
        modified: false,
        statistics: {},
        diagnostics: [diagnostic('OR4014', { layer: 1, tensor: 'h', reason: 'is bypassed' })],
      }),
    };
    const { model } = captureModel();
    const ctx: PassContext = { diagnostics: [] };
    const result = await runPasses(model, [complain, eliminateDeadNodes], ctx);
    expect(result.ok).toBe(false);
    expect(result.runs.map((r) => r.name)).toEqual(['complain']);
    expect(ctx.diagnostics.map((d) => d.code)).toEqual(['OR4014']);
  });
});
