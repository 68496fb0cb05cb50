import type { Diagnostic } from '../../diagnostics/index.js';
import { allGraphs, type Model, type Node } from '../../ir/index.js';
import { elementTypeFromOnnx } from '../element-types.js';
import { checkOpSupport, type OpNode } from '../op-support.js';
import type { TargetProfile } from '../profile.js';
import { inferElementTypes } from './element-types.js';

/** The model's nodes as the op-support check sees them (Constant nodes are initializers to ORT). */
export function opNodes(model: Model): OpNode[] {
  const types = inferElementTypes(model);
  const typeOf = (v: Parameters<typeof types.get>[0] | undefined) => {
    const code = v ? types.get(v) : undefined;
    return code === undefined ? undefined : elementTypeFromOnnx(code);
  };
  const nodes: OpNode[] = [];
  for (const graph of allGraphs(model.graph)) {
    for (const node of graph.nodes) {
      if (node.op === 'Constant' && node.domain === '') continue;
      nodes.push({
        name: node.name,
        op: node.op,
        domain: node.domain,
        inputTypes: node.inputs.map(typeOf),
        outputTypes: node.outputs.map(typeOf),
        inSubgraph: graph !== model.graph,
      });
    }
  }
  return nodes;
}

/** Every node of `model` that `profile`'s execution provider would leave to the CPU, as OR6xxx diagnostics. */
export function checkModelPlacement(model: Model, profile: TargetProfile, file?: string): Diagnostic[] {
  const opset = model.opset('') ?? profile.opset;
  return checkOpSupport(opNodes(model), profile, { opset, ...(file !== undefined ? { file } : {}) });
}

/**
 * Operand slots that hold a shape, axes, sizes or bounds: values ORT reads on the host by design (its kernels
 * declare them CPU inputs), so computing them there is no fallback. Shared with fold-shape-values.
 */
export const SHAPE_OPERANDS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1],
  Expand: [1],
  ConstantOfShape: [0],
  Tile: [1],
  Slice: [1, 2, 3, 4],
  Unsqueeze: [1],
  Squeeze: [1],
  Pad: [1, 3],
  Split: [1],
  TopK: [1],
  CumSum: [1],
  ReduceSum: [1],
  ReduceMean: [1],
  ReduceMax: [1],
  ReduceMin: [1],
  ReduceProd: [1],
  ReduceLogSumExp: [1],
  ReduceSumSquare: [1],
  ReduceL1: [1],
  ReduceL2: [1],
};

/**
 * Nodes whose every result only feeds shape operands (directly or through other such nodes): the
 * `Shape → Gather → Unsqueeze → Concat` chains exporters build for Reshape targets. onnxruntime places these
 * "shape nodes" on the CPU on purpose (they are tiny and their values are needed on the host), and
 * `session.disable_cpu_ep_fallback` does not reject them, so they are expected host work, not a fallback.
 */
export function hostShapeNodes(model: Model): Set<Node> {
  const graphs = [...allGraphs(model.graph)];
  const outputs = new Set(graphs.flatMap((g) => g.outputs));
  const shapeOnly = new Set<Node>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const graph of graphs) {
      for (let k = graph.nodes.length - 1; k >= 0; k--) {
        const node = graph.nodes[k]!;
        if (shapeOnly.has(node) || node.outputs.length === 0 || node.subgraphs().length > 0) continue;
        const feedsShapesOnly = node.outputs.every(
          (v) =>
            !outputs.has(v) &&
            v.uses.size > 0 &&
            [...v.uses].every(
              (u) =>
                shapeOnly.has(u) ||
                u.inputs.every((input, i) => input !== v || (SHAPE_OPERANDS[u.op] ?? []).includes(i)),
            ),
        );
        if (feedsShapesOnly) {
          shapeOnly.add(node);
          changed = true;
        }
      }
    }
  }
  return shapeOnly;
}

/**
 * The placement check as the compiler reports it: OR6xxx for every node that would really leave the device,
 * and, apart, the host shape nodes onnxruntime keeps on the CPU by design (recorded in the manifest).
 */
export function devicePlacement(
  model: Model,
  profile: TargetProfile,
  file?: string,
): { readonly diagnostics: Diagnostic[]; readonly hostNodes: string[] } {
  const host = hostShapeNodes(model);
  const hostNames = new Set([...host].map((n) => n.name));
  const opset = model.opset('') ?? profile.opset;
  const nodes = opNodes(model);
  const diagnostics = checkOpSupport(
    nodes.filter((n) => !hostNames.has(n.name)),
    profile,
    { opset, ...(file !== undefined ? { file } : {}) },
  );
  const offDevice = checkOpSupport(
    nodes.filter((n) => hostNames.has(n.name)),
    profile,
    { opset },
  );
  const hostNodes = offDevice.map(
    (d) => /node '([^']+?)(?: \(inside a subgraph\))?'/.exec(d.message)?.[1] ?? '',
  );
  return { diagnostics, hostNodes: hostNodes.filter(Boolean).sort() };
}
