import { type Diagnostic, diagnostic } from '../../diagnostics/index.js';
import { allGraphs, Builder, type Graph, type Model, type Node, type Value } from '../../ir/index.js';
import { normalizeDomain, ONNX_DOMAIN, sinceVersion } from '../onnx-versions.js';

/**
 * Reductions whose `axes` moved from an attribute to an optional second input at opset 18 (ReduceSum moved at
 * 13). Their semantics are otherwise unchanged across 13–18, so moving the axes is the whole adaptation.
 */
const AXES_INPUT_SINCE_18 = new Set([
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);

/** The int64 values of a constant input (initializer or Constant node), if it is one. */
function constantInts(graph: Graph, value: Value | undefined): bigint[] | undefined {
  if (!value) return undefined;
  for (let g: Graph | undefined = graph; g; g = g.parent) {
    const init = g.initializers.get(value.name);
    if (init?.tensor.rawData) {
      const raw = init.tensor.rawData;
      return Array.from(new BigInt64Array(raw.slice().buffer, 0, raw.byteLength / 8));
    }
    if (init?.tensor.int64Data) return init.tensor.int64Data.map((v) => BigInt(v.toString()));
  }
  const producer = value.producer;
  const tensor = producer?.op === 'Constant' ? producer.attributes.get('value') : undefined;
  if (tensor?.kind === 'tensor' && tensor.value.rawData) {
    const raw = tensor.value.rawData;
    return Array.from(new BigInt64Array(raw.slice().buffer, 0, raw.byteLength / 8));
  }
  return undefined;
}

/** Moves a reduction's `axes` between attribute (≤ 17) and input (≥ 18); false when it cannot. */
function adaptReduction(model: Model, node: Node, toInput: boolean): boolean {
  if (toInput) {
    const axes = node.attributes.get('axes');
    if (!axes) return true; // no axes: reduce over all, the same in both forms
    if (axes.kind !== 'ints') return false;
    const b = new Builder(model, node.graph).before(node);
    const input = b.constant(`${node.name}/axes`, BigInt64Array.from(axes.value.map((v) => BigInt(v))), [
      axes.value.length,
    ]);
    node.attributes.delete('axes');
    node.inputs = [node.inputs[0], input];
    input.uses.add(node);
    return true;
  }
  if (node.inputs.length < 2 || !node.inputs[1]) return true;
  const values = constantInts(node.graph, node.inputs[1]);
  if (!values) return false;
  node.inputs[1].uses.delete(node);
  node.inputs = [node.inputs[0]];
  node.attributes.set('axes', { kind: 'ints', value: values });
  return true;
}

/**
 * Re-targets a model's default-domain opset (e.g. a 17 export for an opset-18 profile, or back). Ops whose
 * definition did not change between the two opsets are kept as they are; the reductions whose axes moved at
 * 18 are rewritten; anything else that changed is reported (OR6006, naming the node) instead of guessed.
 */
export function adaptOpset(model: Model, target: number, file = '<model>'): Diagnostic[] {
  const current = model.opset('') ?? target;
  if (current === target) return [];
  const diagnostics: Diagnostic[] = [];
  for (const graph of allGraphs(model.graph)) {
    for (const node of [...graph.nodes]) {
      if (normalizeDomain(node.domain) !== ONNX_DOMAIN) continue;
      const from = sinceVersion(node.op, node.domain, current);
      const to = sinceVersion(node.op, node.domain, target);
      if (from === to) continue;
      const crossing18 = current < 18 !== target < 18;
      const adapted =
        to !== undefined &&
        AXES_INPUT_SINCE_18.has(node.op) &&
        crossing18 &&
        Math.min(current, target) >= 13 &&
        adaptReduction(model, node, target >= 18);
      if (!adapted)
        diagnostics.push(
          diagnostic(
            'OR6006',
            {
              node: node.name || node.op,
              op: node.op,
              from: current,
              to: target,
              fromVersion: from ?? 'none',
              toVersion: to ?? 'none',
            },
            { graph: { file, node: node.name } },
          ),
        );
    }
  }
  if (diagnostics.length === 0) {
    model.opsetImports = model.opsetImports.map((imp) =>
      imp.domain === '' || imp.domain === 'ai.onnx' ? { ...imp, version: target } : imp,
    );
  }
  return diagnostics;
}
