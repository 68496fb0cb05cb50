import { Builder, ElementType, Graph, Model, type Value } from '../../../src/ir/index.js';

/**
 * Synthetic transformers with the structure and the node naming real exports have, for layer-discovery
 * tests and the IR benchmark. Weights are deterministic and cheap to make (a short pattern repeated):
 * the numbers are meaningless, the graph is not.
 */
export interface TransformerSpec {
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly vocab: number;
  readonly classes?: number;
  /**
   * `'torchscript'`: nodes named `<scope>/<module path>/<Op>` as torch.onnx.export names them;
   * `'none'`: nodes named `n<k>` and internal values `v<k>` (as after a renaming optimizer).
   */
  readonly naming?: 'torchscript' | 'none';
  /** The layer scope, `{i}` = 0-based module index; default `/encoder/layer.{i}/`. */
  readonly scope?: string;
  /**
   * Store weights this way instead of as inline raw data: `external` references `(offset, length)` in a
   * side file without writing it (the benchmark makes it a sparse file).
   */
  readonly weights?: 'inline' | { readonly external: string };
  /** float32 (default) or float16 weights. */
  readonly weightType?: 'float32' | 'float16';
}

/** A float32 array of `n` values cycling through a short pattern (fast even at 10^8 elements). */
export function patternFloats(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  const period = Math.min(n, 1021);
  for (let k = 0; k < period; k++) out[k] = Math.sin((k + 1) * seed * 0.37) * 0.05;
  for (let filled = period; filled < n; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, n - filled));
  return out;
}

class Weights {
  private offset = 0;
  constructor(
    private readonly b: Builder,
    private readonly spec: TransformerSpec,
  ) {}

  /** A weight initializer named as a state dict names it. */
  make(name: string, dims: readonly number[], seed: number): Value {
    const count = dims.reduce((p, d) => p * d, 1);
    const elementType = this.spec.weightType === 'float16' ? ElementType.float16 : ElementType.float32;
    const store = this.spec.weights ?? 'inline';
    if (store === 'inline' && elementType === ElementType.float32)
      return this.b.constant(name, patternFloats(count, seed), dims);
    const value = this.b.constant(name, new Float32Array(0), [0]);
    const init = this.b.graph.initializers.get(value.name)!;
    value.type = { elementType, shape: [...dims] };
    const bytes = count * (elementType === ElementType.float16 ? 2 : 4);
    if (store === 'inline') {
      init.tensor = {
        name: value.name,
        dims: [...dims],
        dataType: elementType,
        rawData: new Uint8Array(bytes),
      };
      return value;
    }
    const offset = Math.ceil(this.offset / 4096) * 4096;
    this.offset = offset + bytes;
    init.tensor = {
      name: value.name,
      dims: [...dims],
      dataType: elementType,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: store.external },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes) },
      ],
    };
    return value;
  }

  /** Bytes the side file must have. */
  get size(): number {
    return this.offset;
  }
}

/**
 * A post-LN BERT-style encoder classifier: embeddings → LN → N × [self-attention (+mask) → Add → LN →
 * GELU FFN → Add → LN] → token 0 → Gemm. Inputs `input_ids`, `attention_mask` (int64 [batch, sequence]),
 * output `logits`. Returns the model and the side-file size its external weights need.
 */
export function buildEncoder(spec: TransformerSpec): { model: Model; externalBytes: number } {
  const graph = new Graph('main_graph', undefined);
  const model = new Model(graph, [{ domain: '', version: 17 }], 8, { producerName: 'offramp-synthetic' });
  const b = new Builder(model, graph);
  const w = new Weights(b, spec);
  const { hidden: H, heads, intermediate: F } = spec;
  const d = H / heads;
  const scope = spec.scope ?? '/encoder/layer.{i}/';
  const ids = b.addInput('input_ids', { elementType: ElementType.int64, shape: ['batch', 'sequence'] });
  const mask = b.addInput('attention_mask', { elementType: ElementType.int64, shape: ['batch', 'sequence'] });
  const i64 = (name: string, values: number[]) => b.constant(name, BigInt64Array.from(values.map(BigInt)));
  const f32 = (name: string, value: number) => b.scalar(name, value, 'float32');
  let seed = 1;
  const linear = (name: string, x: Value, inDim: number, outDim: number, key: string) => {
    const weight = w.make(`${key}.weight`, [inDim, outDim], seed++);
    const bias = w.make(`${key}.bias`, [outDim], seed++);
    const y = b.op('MatMul', [x, weight], undefined, `${name}/MatMul`);
    return b.op('Add', [bias, y], undefined, `${name}/Add`);
  };
  const layerNorm = (name: string, x: Value, key: string) =>
    b.op(
      'LayerNormalization',
      [x, w.make(`${key}.weight`, [H], seed++), w.make(`${key}.bias`, [H], seed++)],
      { axis: -1, epsilon: 1e-12 },
      `${name}/LayerNormalization`,
    );

  // Extended attention mask [batch, 1, 1, sequence]: (1 - mask) * -10000, computed before layer 1.
  const m4 = b.op(
    'Unsqueeze',
    [b.op('Unsqueeze', [mask, i64('axes_1', [1])], undefined, '/Unsqueeze'), i64('axes_2', [2])],
    undefined,
    '/Unsqueeze_1',
  );
  const mf = b.op('Cast', [m4], { to: ElementType.float32 }, '/Cast');
  const extended = b.op(
    'Mul',
    [b.op('Sub', [f32('one', 1), mf], undefined, '/Sub'), f32('big_negative', -10000)],
    undefined,
    '/Mul',
  );

  const words = b.op(
    'Gather',
    [w.make('embeddings.word_embeddings.weight', [spec.vocab, H], seed++), ids],
    undefined,
    '/embeddings/word_embeddings/Gather',
  );
  let h = layerNorm('/embeddings/LayerNorm', words, 'embeddings.LayerNorm');
  const headShape = i64('head_shape', [0, 0, heads, d]);
  const mergedShape = i64('merged_shape', [0, 0, H]);
  for (let i = 0; i < spec.layers; i++) {
    const p = scope.replace('{i}', String(i)).replace(/\/$/, '');
    const key = `encoder.layer.${i}`;
    const split = (name: string, perm: number[]) =>
      b.op(
        'Transpose',
        [
          b.op(
            'Reshape',
            [linear(`${p}/attention/self/${name}`, h, H, H, `${key}.attention.self.${name}`), headShape],
            undefined,
            `${p}/attention/self/${name}/Reshape`,
          ),
        ],
        { perm },
        `${p}/attention/self/${name}/Transpose`,
      );
    const q = split('query', [0, 2, 1, 3]);
    const k = split('key', [0, 2, 3, 1]);
    const v = split('value', [0, 2, 1, 3]);
    const scores = b.op(
      'Div',
      [b.op('MatMul', [q, k], undefined, `${p}/attention/self/MatMul`), f32(`${key}.scale`, Math.sqrt(d))],
      undefined,
      `${p}/attention/self/Div`,
    );
    const probs = b.op(
      'Softmax',
      [b.op('Add', [scores, extended], undefined, `${p}/attention/self/Add`)],
      { axis: -1 },
      `${p}/attention/self/Softmax`,
    );
    const context = b.op(
      'Reshape',
      [
        b.op(
          'Transpose',
          [b.op('MatMul', [probs, v], undefined, `${p}/attention/self/MatMul_1`)],
          { perm: [0, 2, 1, 3] },
          `${p}/attention/self/Transpose_3`,
        ),
        mergedShape,
      ],
      undefined,
      `${p}/attention/self/Reshape_3`,
    );
    const attended = linear(`${p}/attention/output/dense`, context, H, H, `${key}.attention.output.dense`);
    const h1 = layerNorm(
      `${p}/attention/output/LayerNorm`,
      b.op('Add', [attended, h], undefined, `${p}/attention/output/Add`),
      `${key}.attention.output.LayerNorm`,
    );
    const up = linear(`${p}/intermediate/dense`, h1, H, F, `${key}.intermediate.dense`);
    const erf = b.op(
      'Erf',
      [
        b.op(
          'Div',
          [up, f32(`${key}.sqrt2`, Math.SQRT2)],
          undefined,
          `${p}/intermediate/intermediate_act_fn/Div`,
        ),
      ],
      undefined,
      `${p}/intermediate/intermediate_act_fn/Erf`,
    );
    const gelu = b.op(
      'Mul',
      [
        b.op(
          'Mul',
          [
            up,
            b.op('Add', [erf, f32(`${key}.one`, 1)], undefined, `${p}/intermediate/intermediate_act_fn/Add`),
          ],
          undefined,
          `${p}/intermediate/intermediate_act_fn/Mul`,
        ),
        f32(`${key}.half`, 0.5),
      ],
      undefined,
      `${p}/intermediate/intermediate_act_fn/Mul_1`,
    );
    const down = linear(`${p}/output/dense`, gelu, F, H, `${key}.output.dense`);
    h = layerNorm(
      `${p}/output/LayerNorm`,
      b.op('Add', [down, h1], undefined, `${p}/output/Add`),
      `${key}.output.LayerNorm`,
    );
  }
  const first = b.op('Gather', [h, b.scalar('token', 0, 'int64')], { axis: 1 }, '/Gather');
  const classes = spec.classes ?? 4;
  const gemm = b.addNode({
    op: 'Gemm',
    inputs: [
      first,
      w.make('classifier.weight', [classes, H], seed++),
      w.make('classifier.bias', [classes], seed++),
    ],
    attributes: { transB: 1 },
    name: '/classifier/Gemm',
    outputs: ['logits'],
    outputTypes: [{ elementType: ElementType.float32, shape: ['batch', classes] }],
  });
  b.addOutput(gemm.outputs[0]!);
  if (spec.naming === 'none') stripNames(model);
  return { model, externalBytes: w.size };
}

/** Renames nodes `n<k>` and internal values `v<k>`, as an optimizer that drops exporter names would. */
export function stripNames(model: Model): void {
  const graph = model.graph;
  graph.nodes.forEach((node, k) => {
    node.name = `n${k}`;
    node.outputs.forEach((v, j) => {
      if (!graph.outputs.includes(v)) v.name = `v${k}_${j}`;
    });
  });
}
