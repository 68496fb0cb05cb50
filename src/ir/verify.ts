import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { allGraphs, type Graph, type Model, type Node, type Value } from './graph.js';
import { topologicalOrder } from './topo.js';

/**
 * Checks the IR invariants every pass must keep: SSA across scopes, every read defined earlier (or in an
 * enclosing scope), topological order, If branches agreeing in output count and element type, and opset
 * imports covering every domain used.
 */
export function verifyModel(model: Model, file = '<model>'): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const defined = new Set<string>();
  const domains = new Set(model.opsetImports.map((o) => (o.domain === 'ai.onnx' ? '' : o.domain)));

  const define = (v: Value, node?: string) => {
    if (defined.has(v.name)) {
      diagnostics.push(
        diagnostic(
          'OR4003',
          { name: v.name },
          { graph: { file, tensor: v.name, ...(node ? { node } : {}) } },
        ),
      );
    }
    defined.add(v.name);
  };

  // Every name defined anywhere, so a read of a later definition is told apart from a dangling one.
  const everywhere = new Set<string>();
  for (const g of allGraphs(model.graph))
    for (const n of g.nodes) for (const v of n.outputs) everywhere.add(v.name);

  const walk = (graph: Graph, visible: Set<Value>) => {
    const scope = new Set(visible);
    // A cycle is reported once, naming its nodes; its reads are not also reported as out of order.
    const sorted = topologicalOrder(graph);
    const inCycle = new Set<Node>('cycle' in sorted ? sorted.cycle : []);
    if ('cycle' in sorted) {
      const first = sorted.cycle[0]!;
      diagnostics.push(
        diagnostic(
          'OR4012',
          { nodes: sorted.cycle.map((n) => n.name || n.op).join(' → ') },
          { graph: { file, node: first.name, tensor: first.outputs[0]?.name ?? '' } },
        ),
      );
    }
    for (const v of graph.inputs) {
      define(v);
      scope.add(v);
    }
    for (const init of graph.initializers.values()) {
      if (!graph.inputs.includes(init.value)) define(init.value);
      scope.add(init.value);
    }
    for (const node of graph.nodes) {
      const nodeName = node.name || node.op;
      for (const input of node.inputs) {
        if (input && !scope.has(input)) {
          if (inCycle.has(node) && input.producer && inCycle.has(input.producer)) continue;
          const code = everywhere.has(input.name) && !defined.has(input.name) ? 'OR4007' : 'OR4002';
          diagnostics.push(
            diagnostic(
              code,
              { name: input.name, node: nodeName },
              { graph: { file, node: node.name, tensor: input.name } },
            ),
          );
        }
      }
      if (!domains.has(node.domain === 'ai.onnx' ? '' : node.domain)) {
        diagnostics.push(
          diagnostic('OR4006', { node: nodeName, domain: node.domain }, { graph: { file, node: node.name } }),
        );
      }
      if (node.op === 'If' && node.domain === '') {
        const thenBranch = node.attributes.get('then_branch');
        const elseBranch = node.attributes.get('else_branch');
        if (thenBranch?.kind !== 'graph' || elseBranch?.kind !== 'graph') {
          diagnostics.push(
            diagnostic(
              'OR4005',
              { node: nodeName, reason: 'a branch is missing' },
              { graph: { file, node: node.name } },
            ),
          );
        } else {
          const a = thenBranch.value.outputs;
          const b = elseBranch.value.outputs;
          if (a.length !== b.length || a.length !== node.outputs.length) {
            diagnostics.push(
              diagnostic(
                'OR4005',
                {
                  node: nodeName,
                  reason: `branches give ${a.length} and ${b.length} outputs for ${node.outputs.length} node outputs`,
                },
                { graph: { file, node: node.name } },
              ),
            );
          }
          a.forEach((v, k) => {
            const t1 = v.type?.elementType;
            const t2 = b[k]?.type?.elementType;
            if (t1 !== undefined && t2 !== undefined && t1 !== t2) {
              diagnostics.push(
                diagnostic(
                  'OR4005',
                  {
                    node: nodeName,
                    reason: `output ${k} is element type ${t1} in then_branch but ${t2} in else_branch`,
                  },
                  { graph: { file, node: node.name, tensor: v.name } },
                ),
              );
            }
          });
        }
      }
      for (const sub of node.subgraphs()) walk(sub, scope);
      for (const out of node.outputs) {
        if (out.name === '') continue;
        define(out, node.name);
        scope.add(out);
      }
    }
    for (const out of graph.outputs) {
      if (!scope.has(out)) {
        diagnostics.push(
          diagnostic(
            'OR4002',
            { name: out.name, node: '(graph output)' },
            { graph: { file, tensor: out.name } },
          ),
        );
      }
    }
  };
  walk(model.graph, new Set());
  return diagnostics;
}
