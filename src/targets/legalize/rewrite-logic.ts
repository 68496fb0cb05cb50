import { allGraphs, ElementType, Value } from '../../ir/index.js';
import { inferElementTypes } from './element-types.js';
import {
  buildAfter,
  buildBefore,
  newBuilder,
  removeDeadNodes,
  replaceReads,
  setOutput,
} from './graph-edit.js';
import type { LegalizePass } from './legalize-pass.js';
import { reduce } from './ops.js';

/** `Or(a, b)` → `Not(And(Not a, Not b))`: WebGPU registers And and Not but no Or. */
export const orToAndNot: LegalizePass = {
  name: 'or-to-and-not',
  summary: 'Rewrite Or by De Morgan (WebGPU has And and Not).',
  run(model) {
    const b = newBuilder(model);
    let rewritten = 0;
    for (const graph of [...allGraphs(model.graph)]) {
      for (const node of [...graph.nodes]) {
        if (node.op !== 'Or' || node.domain !== '') continue;
        const [x, y] = node.inputs as [
          NonNullable<(typeof node.inputs)[0]>,
          NonNullable<(typeof node.inputs)[0]>,
        ];
        const out = buildBefore(b, node, (g) =>
          g.op('Not', [g.op('And', [g.op('Not', [x]), g.op('Not', [y])])]),
        );
        replaceReads(model, node.outputs[0]!, out);
        rewritten++;
      }
    }
    if (rewritten > 0) removeDeadNodes(model);
    return { modified: rewritten > 0, statistics: { 'or-rewritten': rewritten } };
  },
};

/**
 * `LogSoftmax(x)` → `x − ReduceLogSumExp(x)`: WebGPU registers LogSoftmax for float16 only. ORT's
 * ReduceLogSumExp subtracts the maximum first, so this is as stable as LogSoftmax (within float32 rounding).
 */
export const decomposeLogSoftmax: LegalizePass = {
  name: 'decompose-log-softmax',
  summary: 'Rewrite float32 LogSoftmax as x − ReduceLogSumExp(x).',
  run(model) {
    const b = newBuilder(model);
    const types = inferElementTypes(model);
    let rewritten = 0;
    for (const graph of [...allGraphs(model.graph)]) {
      for (const node of [...graph.nodes]) {
        if (node.op !== 'LogSoftmax' || node.domain !== '') continue;
        const x = node.inputs[0]!;
        if (types.get(x) !== ElementType.float32) continue;
        const axis = Number(node.intAttribute('axis', -1n));
        const out = buildBefore(b, node, (g) =>
          g.op('Sub', [x, reduce(g, 'ReduceLogSumExp', x, [axis], true)]),
        );
        replaceReads(model, node.outputs[0]!, out);
        rewritten++;
      }
    }
    if (rewritten > 0) removeDeadNodes(model);
    return { modified: rewritten > 0, statistics: { 'log-softmax-rewritten': rewritten } };
  },
};

/** `Abs(x)` on int32 → `Max(x, 0 − x)`: WebGPU's Abs is float-only, its Max and Sub take int32. */
export const integerAbs: LegalizePass = {
  name: 'integer-abs',
  summary: 'Rewrite int32 Abs as Max(x, 0 - x).',
  run(model) {
    const b = newBuilder(model);
    const types = inferElementTypes(model);
    let rewritten = 0;
    for (const graph of [...allGraphs(model.graph)]) {
      for (const node of [...graph.nodes]) {
        if (node.op !== 'Abs' || types.get(node.inputs[0]!) !== ElementType.int32) continue;
        const x = node.inputs[0]!;
        const out = buildBefore(b, node, (g) =>
          g.op('Max', [x, g.op('Sub', [g.constant('zero', Int32Array.of(0), []), x])]),
        );
        replaceReads(model, node.outputs[0]!, out);
        rewritten++;
      }
    }
    if (rewritten > 0) removeDeadNodes(model);
    return { modified: rewritten > 0, statistics: { 'abs-rewritten': rewritten } };
  },
};

/**
 * WebGPU's If and Identity kernels do not take bool. A bool If output is carried as int32 (Cast in each
 * branch, Cast back after the If), and a bool Identity becomes Cast(to = bool), a copy WebGPU runs.
 */
export const carryBoolAsInt32: LegalizePass = {
  name: 'carry-bool-as-int32',
  summary: 'Pass bool values through If as int32; bool Identity becomes Cast.',
  run(model) {
    const b = newBuilder(model);
    const types = inferElementTypes(model);
    let ifOutputs = 0;
    let identities = 0;
    for (const graph of [...allGraphs(model.graph)]) {
      for (const node of [...graph.nodes]) {
        if (node.op === 'Identity' && types.get(node.outputs[0]!) === ElementType.bool) {
          node.op = 'Cast';
          node.attributes.set('to', { kind: 'int', value: BigInt(ElementType.bool) });
          identities++;
          continue;
        }
        if (node.op !== 'If') continue;
        node.outputs.forEach((out, i) => {
          if (types.get(out) !== ElementType.bool) return;
          for (const branch of node.subgraphs()) {
            const inner = branch.outputs[i]!;
            const g = b.into(branch);
            const carried = g.op('Cast', [inner], { to: ElementType.int32 });
            carried.type = { elementType: ElementType.int32 };
            branch.outputs[i] = carried;
          }
          const carried = new Value(
            b.uniqueName(`${out.name}/int32`),
            { elementType: ElementType.int32 },
            graph,
          );
          setOutput(node, i, carried);
          const restored = buildAfter(b, node, (g) => g.op('Cast', [carried], { to: ElementType.bool }));
          out.producer = undefined;
          replaceReads(model, out, restored);
          ifOutputs++;
        });
      }
    }
    return {
      modified: ifOutputs + identities > 0,
      statistics: { 'if-bool-outputs-carried': ifOutputs, 'bool-identities-cast': identities },
    };
  },
};
