import { allGraphs, ElementType } from '../../ir/index.js';
import { inferElementTypes } from './element-types.js';
import { buildBefore, newBuilder, removeDeadNodes, replaceReads } from './graph-edit.js';
import type { LegalizePass } from './legalize-pass.js';
import { reduce } from './ops.js';

/**
 * ArgMax/ArgMin always return int64, which no WebGPU kernel can read (not even Cast). They become
 *
 *   hit = Equal(x, ReduceMax(x, axis));  index = ReduceMin(Where(hit, iota, +big), axis)
 *
 * in float32, with iota = CumSum(x·0 + 1) − 1 along the axis, then Cast to int64 (which a later pass
 * narrows to int32). ReduceMin picks the first maximum, as select_last_index=0 does; select_last_index=1
 * takes ReduceMax over Where(hit, iota, −1). Indices below 2^24 are exact in float32. A NaN in x makes
 * the index NaN (ONNX leaves ArgMax over NaN unspecified).
 */
export const decomposeArgMax: LegalizePass = {
  name: 'decompose-argmax',
  summary: 'Rewrite ArgMax/ArgMin (int64 output) as float32 reductions.',
  run(model) {
    const b = newBuilder(model);
    const types = inferElementTypes(model);
    let rewritten = 0;
    for (const graph of [...allGraphs(model.graph)]) {
      for (const node of [...graph.nodes]) {
        if ((node.op !== 'ArgMax' && node.op !== 'ArgMin') || node.domain !== '') continue;
        const x = node.inputs[0]!;
        if (types.get(x) !== ElementType.float32) continue;
        const axis = Number(node.intAttribute('axis', 0n));
        const keepdims = node.intAttribute('keepdims', 1n) === 1n;
        const last = node.intAttribute('select_last_index', 0n) === 1n;
        const out = buildBefore(b, node, (g) => {
          const extreme = reduce(g, node.op === 'ArgMax' ? 'ReduceMax' : 'ReduceMin', x, [axis], true);
          const hit = g.op('Equal', [x, extreme]);
          const zero = g.constant('zero', Float32Array.of(0), []);
          const one = g.constant('one', Float32Array.of(1), []);
          const ones = g.op('Add', [g.op('Mul', [x, zero]), one]);
          const axisValue = g.constant('axis', BigInt64Array.of(BigInt(axis)), []);
          const iota = g.op('Sub', [g.op('CumSum', [ones, axisValue]), one]);
          const miss = g.constant('miss', Float32Array.of(last ? -1 : 3.0e38), []);
          const index = reduce(
            g,
            last ? 'ReduceMax' : 'ReduceMin',
            g.op('Where', [hit, iota, miss]),
            [axis],
            keepdims,
          );
          return g.op('Cast', [index], { to: ElementType.int64 });
        });
        replaceReads(model, node.outputs[0]!, out);
        rewritten++;
      }
    }
    if (rewritten > 0) removeDeadNodes(model);
    return { modified: rewritten > 0, statistics: { 'argmax-rewritten': rewritten } };
  },
};
