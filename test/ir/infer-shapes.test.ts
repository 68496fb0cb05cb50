import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  allGraphs,
  Builder,
  type Dim,
  ElementType,
  elementTypeName,
  Graph,
  importModel,
  inferShapes,
  Model,
  Value,
  writeModel,
} from '../../src/ir/index.js';
import { fixturePath, loadEncoderFixture } from '../support/encoder-fixture.js';

const fixture = loadEncoderFixture();

/** The fixture with every declared intermediate type removed, so inference has to find them all. */
function untypedBackbone(): Model {
  const { model } = importModel(readFileSync(fixturePath('backbone.onnx')), 'backbone.onnx');
  for (const g of allGraphs(model!.graph)) {
    g.valueInfo.clear();
    for (const n of g.nodes) for (const v of n.outputs) v.type = undefined;
  }
  return model!;
}

/** Every node output of the main graph, plus the graph outputs, in graph order. */
function intermediates(model: Model): Value[] {
  const out = model.graph.nodes.flatMap((n) => n.outputs).filter((v) => v.name !== '');
  return [...new Set([...out, ...model.graph.outputs])];
}

/** Bytes of `model` with `values` as extra graph outputs declared without a type (ORT infers them). */
function exposing(model: Model, values: readonly Value[]): Uint8Array {
  const saved = model.graph.outputs;
  const types = new Map(values.map((v) => [v, v.type]));
  model.graph.outputs = [...values];
  for (const v of values) v.type = undefined;
  try {
    return writeModel(model);
  } finally {
    model.graph.outputs = saved;
    for (const [v, t] of types) v.type = t;
  }
}

/** A dim at concrete sizes: symbols and the sums (`sequence + 3`) inference writes; undefined stays. */
const bind = (d: Dim, sizes: Record<string, number>): number | undefined =>
  typeof d === 'string'
    ? d.split(' + ').reduce<number | undefined>((s, t) => {
        const n = /^\d+$/.test(t) ? Number(t) : sizes[t];
        return s === undefined || n === undefined ? undefined : s + n;
      }, 0)
    : d;

describe('shape inference', () => {
  it('agrees with onnxruntime’s own inference on every value of the fixture', async () => {
    const model = untypedBackbone();
    const values = intermediates(model);
    const session = await ort.InferenceSession.create(exposing(model, values), {
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 3,
    });
    const { diagnostics } = inferShapes(model.graph);
    expect(diagnostics).toEqual([]);
    const oracle = new Map(session.outputMetadata.map((m) => [m.name, m]));
    let numericDims = 0;
    for (const v of values) {
      const meta = oracle.get(v.name)!;
      expect(meta.isTensor, v.name).toBe(true);
      if (!meta.isTensor) continue;
      expect(elementTypeName(v.elementType ?? 0), v.name).toBe(meta.type);
      if (meta.shape.length === 0) continue; // scalar or unknown rank: ORT does not say which
      expect(v.shape?.length, v.name).toBe(meta.shape.length);
      meta.shape.forEach((d, k) => {
        if (typeof d === 'number') {
          numericDims++;
          expect(v.shape![k], `${v.name} dim ${k}`).toBe(d);
        } else if (d !== '' && !d.startsWith('unk__')) {
          expect(v.shape![k], `${v.name} dim ${k}`).toBe(d);
        }
      });
    }
    expect(numericDims).toBeGreaterThan(300);
  });

  it('predicts the shape of every value the fixture computes at run time, Reshape targets included', async () => {
    const model = untypedBackbone();
    inferShapes(model.graph);
    const values = intermediates(model);
    const session = await ort.InferenceSession.create(exposing(model, values), {
      graphOptimizationLevel: 'disabled',
      logSeverityLevel: 3,
    });
    const [batch, sequence] = [3, fixture.sequence];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', fixture.inputIds.slice(0, batch * sequence), [batch, sequence]),
      attention_mask: new ort.Tensor('int64', fixture.attentionMask.slice(0, batch * sequence), [
        batch,
        sequence,
      ]),
    });
    const sizes = { batch, sequence };
    for (const v of values) {
      const actual = out[v.name]!;
      expect(elementTypeName(v.elementType ?? 0), v.name).toBe(actual.type);
      expect(
        v.shape?.map((d) => bind(d, sizes)),
        v.name,
      ).toEqual([...actual.dims]);
    }
    // The layer boundary: hidden size 64 and both symbolic dims, known without running anything.
    const cut = model.graph.nodes.find(
      (n) => n.name === '/bert/encoder/layer.2/output/LayerNorm/LayerNormalization',
    )!.outputs[0]!;
    expect(cut.type).toEqual({ elementType: ElementType.float32, shape: ['batch', 'sequence', 64] });
  });

  it('handles the ops the compiler emits (If, TopK, ArgMax, reductions, Where, Slice, Expand, ...)', async () => {
    const graph = new Graph('ops', undefined);
    const model = new Model(graph, [{ domain: '', version: 17 }], 8, {});
    const b = new Builder(model, graph);
    const x = b.addInput('x', { elementType: ElementType.float32, shape: ['batch', 'sequence', 8] });
    const logits = b.op('ReduceMean', [x], { axes: [1], keepdims: 0 });
    const probs = b.op('Softmax', [logits], { axis: -1 });
    const logp = b.op('LogSoftmax', [logits], { axis: -1 });
    const best = b.op('ReduceMax', [probs], { axes: [1], keepdims: 1 });
    const arg = b.op('ArgMax', [probs], { axis: 1, keepdims: 1 });
    const [top, topIndex] = b.add({
      op: 'TopK',
      inputs: [probs, b.constant('k', BigInt64Array.of(2n), [1])],
      outputs: 2,
    });
    const confident = b.op('Greater', [best, b.scalar('tau', 0.2, 'float32')]);
    const notConfident = b.op('Not', [confident]);
    const either = b.op('Or', [confident, b.op('Equal', [arg, b.scalar('zero', 0, 'int64')])]);
    const both = b.op('And', [either, b.op('Less', [best, b.scalar('one', 1, 'float32')])]);
    const chosen = b.op('Where', [both, probs, logp]);
    const summed = b.op('ReduceSum', [chosen, b.constant('axes', BigInt64Array.of(-1n), [1])], {
      keepdims: 1,
    });
    const tail = b.op('Slice', [
      x,
      b.constant('starts', BigInt64Array.of(2n), [1]),
      b.constant('ends', BigInt64Array.of(6n), [1]),
      b.constant('slice_axes', BigInt64Array.of(2n), [1]),
    ]);
    const firstToken = b.op('Gather', [x, b.scalar('token', 0, 'int64')], { axis: 1 });
    const squeezed = b.op('Squeeze', [
      b.op('Unsqueeze', [firstToken, b.constant('u', BigInt64Array.of(0n), [1])]),
      b.constant('s', BigInt64Array.of(0n), [1]),
    ]);
    const shape = b.op('Shape', [firstToken]);
    const zeros = b.op('ConstantOfShape', [shape]);
    const expanded = b.op('Expand', [b.scalar('half', 0.5, 'float32'), shape]);
    const gemm = b.op('Gemm', [firstToken, b.constant('w', new Float32Array(8 * 3), [3, 8])], { transB: 1 });
    const erf = b.op('Erf', [b.op('Tanh', [b.op('Sigmoid', [b.op('Exp', [b.op('Log', [probs])])])])]);
    const cast = b.op('Cast', [arg], { to: ElementType.float32 });
    const cond = b.op('ReduceMin', [b.op('Cast', [notConfident], { to: ElementType.int64 })], {
      keepdims: 0,
    });
    const condBool = b.op('Cast', [cond], { to: ElementType.bool });
    const ifNode = b.ifNode({
      cond: condBool,
      thenBranch: (t) => [t.op('Mul', [firstToken, t.scalar('two', 2, 'float32')])],
      elseBranch: (e) => [e.op('Concat', [firstToken, firstToken], { axis: 1 })],
    });
    const branchOut = ifNode.outputs[0]!;
    // Mamba's depthwise causal conv over [batch, channels, sequence], plus Pad and Tile.
    const channels = b.op('Transpose', [x], { perm: [0, 2, 1] });
    const conv = b.op(
      'Conv',
      [
        channels,
        b.constant('conv_w', new Float32Array(8 * 4), [8, 1, 4]),
        b.constant('conv_b', new Float32Array(8), [8]),
      ],
      { group: 8, pads: [3, 0], kernel_shape: [4] },
    );
    const strided = b.op('Conv', [channels, b.constant('conv_s', new Float32Array(2 * 8 * 3), [2, 8, 3])], {
      strides: [2],
      pads: [1, 1],
    });
    const padded = b.op('Pad', [x, b.constant('pads', BigInt64Array.of(0n, 1n, 0n, 0n, 2n, 3n))]);
    const tiled = b.op('Tile', [firstToken, b.constant('repeats', BigInt64Array.of(2n, 3n))]);
    const exposed = [
      logits,
      probs,
      logp,
      best,
      arg,
      top!,
      topIndex!,
      both,
      chosen,
      summed,
      tail,
      firstToken,
      squeezed,
      zeros,
      expanded,
      gemm,
      erf,
      cast,
      branchOut,
      conv,
      strided,
      padded,
      tiled,
    ];
    for (const v of exposed) b.addOutput(v);
    const { diagnostics } = inferShapes(graph);
    expect(diagnostics).toEqual([]);
    expect(branchOut.type).toEqual({ elementType: ElementType.float32, shape: ['batch', undefined] });
    expect(gemm.shape).toEqual(['batch', 3]);
    expect(tail.shape).toEqual(['batch', 'sequence', 4]);
    expect(conv.shape).toEqual(['batch', 8, 'sequence']);
    expect(padded.shape).toEqual(['batch', 'sequence + 3', 11]);
    const session = await ort.InferenceSession.create(exposing(model, exposed), { logSeverityLevel: 3 });
    const sizes = { batch: 2, sequence: 5 };
    const data = Float32Array.from({ length: 2 * 5 * 8 }, (_, k) => Math.sin(k));
    const out = await session.run({ x: new ort.Tensor('float32', data, [2, 5, 8]) });
    for (const v of exposed) {
      const actual = out[v.name]!;
      expect(elementTypeName(v.elementType ?? 0), v.name).toBe(actual.type);
      const predicted = v.shape!.map((d) => bind(d, sizes));
      predicted.forEach((d, k) => {
        if (d !== undefined) expect(d, `${v.name} dim ${k}`).toBe(actual.dims[k]);
      });
      expect(predicted.length, v.name).toBe(actual.dims.length);
    }
  });

  it('infers Loop and Scan bodies and their outputs (scan outputs stacked along the trip count / scan axis)', async () => {
    const graph = new Graph('loops', undefined);
    const model = new Model(graph, [{ domain: '', version: 17 }], 8, {});
    const b = new Builder(model, graph);
    const x = b.addInput('x', { elementType: ElementType.float32, shape: ['batch', 4] });
    const seq = b.addInput('seq', { elementType: ElementType.float32, shape: ['steps', 'batch', 4] });
    const bodyInput = (g: Graph, name: string, elementType: number, shape?: Dim[]) => {
      const v = new Value(b.uniqueName(name), { elementType, ...(shape ? { shape } : {}) }, g);
      g.inputs.push(v);
      return v;
    };
    // Loop: three trips; carries x + 1, scans x · 2 per trip.
    const loopBody = b.subgraph('loop_body');
    const lb = b.into(loopBody);
    bodyInput(loopBody, 'iter', ElementType.int64, []);
    const condIn = bodyInput(loopBody, 'cond_in', ElementType.bool, []);
    const carriedIn = bodyInput(loopBody, 'carried_in', ElementType.float32);
    const next = lb.op('Add', [carriedIn, lb.scalar('one_l', 1, 'float32')]);
    const scanned = lb.op('Mul', [carriedIn, lb.scalar('two_l', 2, 'float32')]);
    loopBody.outputs.push(lb.op('Identity', [condIn]), next, scanned);
    const [finalLoop, stacked] = b.add({
      op: 'Loop',
      inputs: [b.constant('trips', BigInt64Array.of(3n), []), b.scalar('go', 1, 'bool'), x],
      outputs: 2,
      attributes: { body: loopBody },
    }) as [Value, Value];
    // Scan over the leading axis of `seq`: a running sum state and each step's sum as a scan output.
    const scanBody = b.subgraph('scan_body');
    const sb = b.into(scanBody);
    const state = bodyInput(scanBody, 'state', ElementType.float32);
    const slice = bodyInput(scanBody, 'slice', ElementType.float32);
    const sum = sb.op('Add', [state, slice]);
    scanBody.outputs.push(sum, sb.op('Identity', [sum]));
    const [finalScan, history] = b.add({
      op: 'Scan',
      inputs: [x, seq],
      outputs: 2,
      attributes: { body: scanBody, num_scan_inputs: 1 },
    }) as [Value, Value];
    for (const v of [finalLoop, stacked, finalScan, history]) b.addOutput(v);
    const { diagnostics } = inferShapes(graph);
    expect(diagnostics).toEqual([]);
    expect(finalLoop.type).toEqual({ elementType: ElementType.float32, shape: ['batch', 4] });
    expect(stacked.type).toEqual({ elementType: ElementType.float32, shape: [3, 'batch', 4] });
    expect(finalScan.type).toEqual({ elementType: ElementType.float32, shape: ['batch', 4] });
    expect(history.type).toEqual({ elementType: ElementType.float32, shape: ['steps', 'batch', 4] });
    expect(slice.type).toEqual({ elementType: ElementType.float32, shape: ['batch', 4] });
    const session = await ort.InferenceSession.create(writeModel(model), { logSeverityLevel: 3 });
    const out = await session.run({
      x: new ort.Tensor('float32', new Float32Array(8).fill(1), [2, 4]),
      seq: new ort.Tensor('float32', new Float32Array(5 * 8).fill(1), [5, 2, 4]),
    });
    expect(out[stacked.name]!.dims).toEqual([3, 2, 4]);
    expect(out[history.name]!.dims).toEqual([5, 2, 4]);
    expect(out[finalLoop.name]!.data[0]).toBe(4);
  });

  it('warns once per op type it does not know and leaves declared types alone', () => {
    const graph = new Graph('g', undefined);
    const model = new Model(graph, [{ domain: '', version: 17 }], 8, {});
    const b = new Builder(model, graph);
    const x = b.addInput('x', { elementType: ElementType.float32, shape: [4] });
    const [y] = b.add({
      op: 'Mystery',
      inputs: [x],
      outputTypes: [{ elementType: ElementType.float16, shape: [2] }],
    });
    b.add({ op: 'Mystery', inputs: [y] });
    const { diagnostics } = inferShapes(graph);
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['OR4015', 'warning']]);
    expect(y!.type).toEqual({ elementType: ElementType.float16, shape: [2] });
  });
});
