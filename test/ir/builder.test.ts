import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  Builder,
  discoverLayers,
  ElementType,
  Graph,
  inferShapes,
  Model,
  printModel,
  replaceAllUsesWith,
  verifyModel,
  writeModel,
} from '../../src/ir/index.js';
import { eliminateDeadNodes } from '../../src/passes/eliminate-dead-nodes.js';
import { buildEncoder } from './support/transformer.js';

const spec = { layers: 4, hidden: 16, heads: 2, intermediate: 32, vocab: 50 } as const;

async function logits(model: Model, extra: Record<string, ort.Tensor> = {}): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(writeModel(model), { logSeverityLevel: 3 });
  const ids = BigInt64Array.from({ length: 2 * 6 }, (_, k) => BigInt((k * 11) % 50));
  const mask = BigInt64Array.from({ length: 2 * 6 }, (_, k) => (k % 6 < 5 ? 1n : 0n));
  const out = await session.run({
    input_ids: new ort.Tensor('int64', ids, [2, 6]),
    attention_mask: new ort.Tensor('int64', mask, [2, 6]),
    ...extra,
  });
  return out.logits!.data as Float32Array;
}

const flag = (on: boolean) => new ort.Tensor('bool', Uint8Array.of(on ? 1 : 0), []);

describe('the builder', () => {
  it('moves a layer into an If branch (cloned cone, captures, use rewiring, dead-code removal)', async () => {
    const reference = await logits(buildEncoder(spec).model);
    const skipped = buildEncoder(spec).model;
    const skippedLayers = discoverLayers(skipped).layers;
    replaceAllUsesWith(skippedLayers[2]!.output, skippedLayers[1]!.output);
    eliminateDeadNodes.run(skipped, { diagnostics: [] });
    const withoutLayer3 = await logits(skipped);

    const { model } = buildEncoder(spec);
    const { layers } = discoverLayers(model);
    const layer = layers[2]!;
    const b = new Builder(model, model.graph);
    const run = b.addInput('run_layer_3', { elementType: ElementType.bool, shape: [] });
    const ifNode = b.after(layer.output.producer!).ifNode({
      cond: run,
      name: '/offramp/layer.2/If',
      thenBranch: (branch) => {
        const remap = branch.cloneNodes(layer.nodes);
        return [remap.get(layer.output)!];
      },
      elseBranch: () => [layer.input],
    });
    // Every reader of the old cut now reads the If; the If itself reads the old cut nowhere.
    const readers = [...layer.output.uses];
    replaceAllUsesWith(layer.output, ifNode.outputs[0]!);
    expect(readers.every((n) => n.inputs.includes(ifNode.outputs[0]!))).toBe(true);
    const result = eliminateDeadNodes.run(model, { diagnostics: [] });
    expect(result.statistics['removed-nodes']).toBe(layer.nodes.length);
    expect(verifyModel(model)).toEqual([]);
    // The branch captures the cut before it and the weights; those are uses of the outer values.
    const branch = ifNode.subgraphs()[0]!;
    expect([...layer.input.uses].some((n) => n.graph === branch)).toBe(true);
    expect(model.graph.nodes.filter((n) => n.name.includes('/encoder/layer.2/'))).toEqual([]);

    expect(await logits(model, { run_layer_3: flag(true) })).toEqual(reference);
    expect(await logits(model, { run_layer_3: flag(false) })).toEqual(withoutLayer3);
    expect(withoutLayer3).not.toEqual(reference);
  });

  it('places nodes at positions, before and after anchors, in creation order', () => {
    const graph = new Graph('g', undefined);
    const model = new Model(graph, [{ domain: '', version: 17 }], 8, {});
    const b = new Builder(model, graph);
    const x = b.addInput('x', { elementType: ElementType.float32, shape: [2] });
    const a = b.addNode({ op: 'Relu', inputs: [x], name: 'a' });
    const z = b.addNode({ op: 'Neg', inputs: [a.outputs[0]], name: 'z' });
    const before = b.before(z);
    before.op('Abs', [a.outputs[0]!], undefined, 'b1');
    before.op('Abs', [a.outputs[0]!], undefined, 'b2');
    const after = b.after(a);
    after.op('Exp', [x], undefined, 'c1');
    after.op('Exp', [x], undefined, 'c2');
    b.addNode({ op: 'Sigmoid', inputs: [x], name: 'first', at: 'start' });
    b.addNode({ op: 'Tanh', inputs: [x], name: 'third', at: { index: 2 } });
    expect(graph.nodes.map((n) => n.name)).toEqual(['first', 'a', 'third', 'c1', 'c2', 'b1', 'b2', 'z']);
  });

  it('keeps names unique across scopes and refuses to claim a used one', () => {
    const graph = new Graph('g', undefined);
    const model = new Model(graph, [{ domain: '', version: 17 }], 8, {});
    const b = new Builder(model, graph);
    const cond = b.addInput('cond', { elementType: ElementType.bool, shape: [] });
    const outer = b.scalar('outer', 2, 'float32');
    const node = b.ifNode({
      cond,
      thenBranch: (t) => [t.op('Identity', [t.scalar('v', 1, 'float32')], undefined, 'inside')],
      elseBranch: () => [outer],
    });
    const inner = node.subgraphs()[0]!.outputs[0]!;
    expect(b.uniqueName(inner.name)).not.toBe(inner.name);
    expect(() => b.claimName('cond')).toThrow(/already used/);
    expect(() => b.addNode({ op: 'Relu', inputs: [cond], outputs: [inner.name] })).toThrow(/already used/);
    // A branch output the branch does not compute is passed through an Identity, as ONNX requires.
    expect(node.subgraphs()[1]!.nodes.map((n) => n.op)).toEqual(['Identity']);
    expect(verifyModel(model)).toEqual([]);
  });

  it('prints a model with a capturing If deterministically (golden file)', async () => {
    const graph = new Graph('capture', undefined);
    const model = new Model(graph, [{ domain: '', version: 17 }], 8, {});
    const b = new Builder(model, graph);
    const x = b.addInput('x', { elementType: ElementType.float32, shape: ['batch', 3] });
    const cond = b.addInput('cond', { elementType: ElementType.bool, shape: [] });
    const w = b.constant(
      'W',
      Float32Array.from({ length: 9 }, (_, k) => k),
      [3, 3],
    );
    const relu = b.op('Relu', [x]);
    const node = b.ifNode({
      cond,
      thenBranch: (t) => [t.op('MatMul', [relu, w])],
      elseBranch: (e) => [e.op('Softmax', [x], { axis: -1 })],
      outputs: ['y'],
    });
    b.addOutput(node.outputs[0]!);
    inferShapes(graph);
    await expect(printModel(model)).toMatchFileSnapshot('./golden/capturing-if.ir');
  });
});
