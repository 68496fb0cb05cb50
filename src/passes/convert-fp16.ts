import {
  allGraphs,
  collectNames,
  ElementType,
  type Graph,
  initializerFloat32,
  type Model,
  Node,
  Value,
} from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';
import { float32ToFloat16Bits } from './float16.js';

/** Ops computed in fp16. Everything else (LayerNorm, Softmax, reductions, policy arithmetic) stays fp32. */
const FP16_OPS = new Set(['MatMul', 'Gemm']);

function uniqueNamer(model: Model) {
  const taken = collectNames(model);
  return (base: string) => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
}

/**
 * Mixed precision for CUDA: MatMul and Gemm (where almost all the time goes) run in fp16 on fp16 weights;
 * their activations are cast in and out, so graph I/O, normalisations, softmaxes, reductions and the
 * policies' float32/float64 arithmetic keep full precision (the block list is "everything else"). Casts
 * are inserted next to each converted node in its own graph, so If branches stay self-consistent, and an
 * initializer that any other op also reads keeps its fp32 copy.
 */
export const convertFp16: CompilerPass = {
  name: 'convert-fp16',
  summary: 'Run MatMul and Gemm in fp16 on fp16 weights, casting activations in and out.',
  requires: ['layers-skipped'],
  ensures: ['fp16-matmuls'],
  run(model) {
    const name = uniqueNamer(model);
    const converted = new Map<Value, Value>();
    let nodes = 0;
    let casts = 0;
    let weights = 0;
    const initializerOf = (v: Value) => v.graph.initializers.get(v.name);
    const readOnlyByConvertible = (v: Value) =>
      [...v.uses].every((u) => FP16_OPS.has(u.op) && u.domain === '');
    const halfWeight = (v: Value): Value => {
      const known = converted.get(v);
      if (known) return known;
      const init = initializerOf(v)!;
      const data = initializerFloat32(init);
      const bits = new Uint16Array(data.length);
      for (let i = 0; i < data.length; i++) bits[i] = float32ToFloat16Bits(data[i]!);
      const half = new Value(
        name(`${v.name}/fp16`),
        { elementType: ElementType.float16, shape: v.type?.shape ?? [] },
        v.graph,
      );
      v.graph.initializers.set(half.name, {
        value: half,
        tensor: {
          name: half.name,
          dims: init.tensor.dims ?? [],
          dataType: ElementType.float16,
          rawData: new Uint8Array(bits.buffer),
        },
      });
      converted.set(v, half);
      weights++;
      return half;
    };
    const cast = (graph: Graph, input: Value, to: number, at: number, outputName?: string): [Node, Value] => {
      const node = new Node('Cast', '', name(`${input.name}/Cast`), [input], [], graph);
      node.attributes.set('to', { kind: 'int', value: BigInt(to) });
      input.uses.add(node);
      const out = new Value(
        outputName ?? name(`${input.name}/fp${to === ElementType.float16 ? 16 : 32}`),
        { elementType: to },
        graph,
      );
      out.producer = node;
      node.outputs.push(out);
      graph.nodes.splice(at, 0, node);
      casts++;
      return [node, out];
    };
    for (const graph of [...allGraphs(model.graph)]) {
      for (const node of [...graph.nodes]) {
        if (!FP16_OPS.has(node.op) || node.domain !== '') continue;
        node.inputs = node.inputs.map((v) => {
          if (!v) return v;
          if (initializerOf(v)?.tensor.dataType === ElementType.float32 && readOnlyByConvertible(v)) {
            v.uses.delete(node);
            const half = halfWeight(v);
            half.uses.add(node);
            return half;
          }
          v.uses.delete(node);
          const [, half] = cast(graph, v, ElementType.float16, graph.nodes.indexOf(node));
          half.uses.add(node);
          return half;
        });
        // The node now yields fp16; a Cast back to fp32 takes over its output's name and uses.
        const out = node.outputs[0]!;
        const half = new Value(name(`${out.name}/fp16`), { elementType: ElementType.float16 }, graph);
        half.producer = node;
        node.outputs[0] = half;
        const back = new Node('Cast', '', name(`${node.name}/CastBack`), [half], [out], graph);
        back.attributes.set('to', { kind: 'int', value: BigInt(ElementType.float32) });
        half.uses.add(back);
        out.producer = back;
        graph.nodes.splice(graph.nodes.indexOf(node) + 1, 0, back);
        casts++;
        nodes++;
      }
    }
    // Drop fp32 initializers whose every reader moved to the fp16 copy.
    for (const [v] of converted)
      if (v.uses.size === 0 && !v.graph.inputs.includes(v)) v.graph.initializers.delete(v.name);
    return { modified: nodes > 0, statistics: { 'fp16-nodes': nodes, casts, 'fp16-weights': weights } };
  },
};
