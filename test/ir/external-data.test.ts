import { mkdirSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Builder,
  currentOnnx,
  Graph,
  initializerFloat32,
  Model,
  readModel,
  saveModel,
  Value,
  writeModel,
} from '../../src/ir/index.js';

const HIDDEN = 64;

/** y = x·W + b with a 16 KiB weight (goes external) and a 256-byte bias (stays inline). */
function denseModel(): { model: Model; weight: Float32Array } {
  const graph = new Graph('dense', undefined);
  const model = new Model(graph, [{ domain: '', version: 17 }], 8, { producerName: 'offramp-test' });
  const x = new Value('x', { elementType: 1, shape: ['batch', HIDDEN] }, graph);
  graph.inputs.push(x);
  const b = new Builder(model, graph);
  // The bias comes first, so a side file holding both must pad before the weight.
  const bias = b.constant(
    'dense.bias',
    Float32Array.from({ length: HIDDEN }, (_, k) => k / 100),
    [HIDDEN],
  );
  const weight = Float32Array.from({ length: HIDDEN * HIDDEN }, (_, k) => Math.sin(k * 0.37) / 8);
  const w = b.constant('dense.weight', weight, [HIDDEN, HIDDEN]);
  const y = b.op('Add', [b.op('MatMul', [x, w]), bias], undefined, 'dense');
  y.type = { elementType: 1, shape: ['batch', HIDDEN] };
  graph.outputs.push(y);
  return { model, weight };
}

const input = Float32Array.from({ length: 3 * HIDDEN }, (_, k) => Math.cos(k * 0.11));

async function run(source: string | Uint8Array): Promise<Float32Array> {
  const session =
    typeof source === 'string'
      ? await ort.InferenceSession.create(source, { logSeverityLevel: 3 })
      : await ort.InferenceSession.create(source, { logSeverityLevel: 3 });
  const out = await session.run({ x: new ort.Tensor('float32', input, [3, HIDDEN]) });
  return out[session.outputNames[0]!]!.data as Float32Array;
}

/** The emitted TensorProto of an initializer, as the file says it. */
function tensorIn(path: string, name: string) {
  const proto = currentOnnx.ModelProto.toObject(currentOnnx.ModelProto.decode(readFileSync(path)), {
    longs: Number,
  });
  return (proto.graph.initializer as Record<string, unknown>[]).find((t) => t.name === name)!;
}

const entries = (t: Record<string, unknown>) =>
  Object.fromEntries((t.externalData as { key: string; value: string }[]).map((e) => [e.key, e.value]));

describe('external data', () => {
  const root = mkdtempSync(join(tmpdir(), 'offramp-external-'));
  const first = join(root, 'a', 'model.onnx');
  let expected: Float32Array;
  let weight: Float32Array;

  beforeAll(async () => {
    const built = denseModel();
    weight = built.weight;
    expected = await run(writeModel(built.model));
    await saveModel(built.model, first, {
      externalData: { location: 'model.onnx.data', align: 4096, threshold: 1024 },
    });
  });

  it('writes large weights to a 4 KiB-aligned side file that onnxruntime loads from path', async () => {
    const w = tensorIn(first, 'dense.weight');
    expect(w.dataLocation).toBe(1);
    expect(w.rawData).toBeUndefined();
    const where = entries(w);
    expect(where).toMatchObject({ location: 'model.onnx.data', length: String(HIDDEN * HIDDEN * 4) });
    expect(Number(where.offset) % 4096).toBe(0);
    expect(tensorIn(first, 'dense.bias').dataLocation).toBeUndefined();
    expect(statSync(join(root, 'a', 'model.onnx.data')).size).toBe(HIDDEN * HIDDEN * 4);
    expect(statSync(first).size).toBeLessThan(2048);
    expect(await run(first)).toEqual(expected);
  });

  it('imports without reading the weights, and reads them when asked', async () => {
    const { model, diagnostics } = await readModel(first);
    expect(diagnostics).toEqual([]);
    const init = model!.graph.initializers.get('dense.weight')!;
    expect(init.tensor.rawData ?? new Uint8Array()).toHaveLength(0);
    expect(init.external).toMatchObject({ location: 'model.onnx.data', length: HIDDEN * HIDDEN * 4 });
    expect(initializerFloat32(init)).toEqual(weight);
  });

  it('keeps referencing the original side file when saved beside it', async () => {
    const model = (await readModel(first)).model!;
    const copy = join(root, 'a', 'copy.onnx');
    await saveModel(model, copy);
    expect(entries(tensorIn(copy, 'dense.weight')).location).toBe('model.onnx.data');
    expect(await run(copy)).toEqual(expected);
  });

  it('embeds the weights when saved where the side file is out of reach', async () => {
    const model = (await readModel(first)).model!;
    const elsewhere = join(root, 'b', 'model.onnx');
    await saveModel(model, elsewhere);
    expect(tensorIn(elsewhere, 'dense.weight').dataLocation).toBeUndefined();
    expect(await run(elsewhere)).toEqual(expected);
  });

  it('moves the weights to a new side file on request', async () => {
    const model = (await readModel(first)).model!;
    const moved = join(root, 'c', 'model.onnx');
    await saveModel(model, moved, {
      externalData: { location: 'weights/all.bin', align: 4096, threshold: 100 },
    });
    expect(entries(tensorIn(moved, 'dense.bias'))).toMatchObject({ offset: '0', length: '256' });
    expect(entries(tensorIn(moved, 'dense.weight')).offset).toBe('4096');
    expect(statSync(join(root, 'c', 'weights', 'all.bin')).size).toBe(4096 + HIDDEN * HIDDEN * 4);
    expect(await run(moved)).toEqual(expected);
  });

  it('reports a missing or short side file as OR4008 naming the tensor', async () => {
    const dir = join(root, 'd');
    const path = join(dir, 'model.onnx');
    await saveModel(denseModel().model, path, { externalData: { location: 'w.bin' } });
    truncateSync(join(dir, 'w.bin'), 1000);
    const short = await readModel(path);
    expect(short.diagnostics).toHaveLength(1);
    expect(short.diagnostics[0]).toMatchObject({ code: 'OR4008', graph: { tensor: 'dense.weight' } });
    expect(short.diagnostics[0]!.message).toContain('has 1000 bytes');

    // The model copied away from its side file.
    const away = join(root, 'e', 'model.onnx');
    mkdirSync(join(root, 'e'));
    writeFileSync(away, readFileSync(path));
    const missing = await readModel(away);
    expect(missing.diagnostics).toHaveLength(1);
    expect(missing.diagnostics[0]).toMatchObject({ code: 'OR4008', graph: { tensor: 'dense.weight' } });
    expect(missing.diagnostics[0]!.message).toContain("'dense.weight'");
    expect(missing.diagnostics[0]!.message).toContain('does not exist');
  });
});
