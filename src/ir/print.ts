import type { AttributeValue, Graph, Model, Value } from './graph.js';
import { elementTypeName, type TensorType } from './types.js';

function typeText(t: TensorType | undefined): string {
  if (!t) return '?';
  const shape = t.shape ? `[${t.shape.map((d) => (d === undefined ? '?' : String(d))).join(',')}]` : '[*]';
  return `${elementTypeName(t.elementType)}${shape}`;
}

function attributeText(a: AttributeValue): string {
  switch (a.kind) {
    case 'graph':
      return `graph ${JSON.stringify(a.value.name)}`;
    case 'tensor':
      return `tensor<${elementTypeName(a.value.dataType ?? 0)}[${(a.value.dims ?? []).join(',')}]>`;
    case 'ints':
      return `[${a.value.join(',')}]`;
    case 'floats':
      return `[${a.value.join(',')}]`;
    case 'strings':
      return JSON.stringify(a.value);
    case 'string':
      return JSON.stringify(a.value);
    case 'raw':
      return '<raw>';
    default:
      return String(a.value);
  }
}

const ref = (v: Value | undefined) => (v ? `%${v.name}` : '_');
/** A defined value with its type when known: `%h: float32[batch,sequence,64]`. */
const def = (v: Value) => (v.type ? `%${v.name}: ${typeText(v.type)}` : `%${v.name}`);

/**
 * A deterministic text form of a graph, for golden tests and `--print-ir-after`: MLIR-like, one node per
 * line (`%out: type = domain.Op(%in, ...) {attributes}  # node name`), initializers summarised by type
 * (and where external data keeps them), subgraphs printed under their node, indented.
 */
export function printGraph(graph: Graph, indent = ''): string {
  const lines: string[] = [];
  lines.push(`${indent}graph ${JSON.stringify(graph.name)} (${graph.inputs.map(def).join(', ')}) {`);
  for (const init of graph.initializers.values()) {
    if (graph.inputs.includes(init.value)) continue;
    const where = init.external
      ? `  // external ${init.external.location} @${init.external.offset} +${init.external.length}`
      : '';
    lines.push(`${indent}  const ${def(init.value)}${where}`);
  }
  for (const node of graph.nodes) {
    const attrs = [...node.attributes].map(([k, a]) => `${k}=${attributeText(a)}`).join(', ');
    const op = node.domain ? `${node.domain}.${node.op}` : node.op;
    const outputs = node.outputs.length > 0 ? `${node.outputs.map(def).join(', ')} = ` : '';
    lines.push(
      `${indent}  ${outputs}${op}(${node.inputs.map(ref).join(', ')})${attrs ? ` {${attrs}}` : ''}  # ${node.name}`,
    );
    for (const [key, a] of node.attributes)
      if (a.kind === 'graph') lines.push(`${indent}    ${key}:`, printGraph(a.value, `${indent}    `));
  }
  lines.push(`${indent}  return ${graph.outputs.map(ref).join(', ')}`);
  lines.push(`${indent}}`);
  return lines.join('\n');
}

export function printModel(model: Model): string {
  const opsets = model.opsetImports.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`).join(' ');
  return `model ir=${model.irVersion} opsets=${opsets}\n${printGraph(model.graph)}\n`;
}
