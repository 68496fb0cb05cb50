import type { Diagnostic } from '../../diagnostics/index.js';
import { allGraphs, type Model } from '../../ir/index.js';
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
