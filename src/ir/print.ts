import type { AttributeValue, Graph, Model, Value } from './graph.js';
import { elementTypeName, type TensorType } from './types.js';

function typeText(t: TensorType | undefined): string {
  if (!t) return '?';
  const shape = t.shape ? `[${t.shape.map((d) => (d === undefined ? '?' : String(d))).join(',')}]` : '[*]';
  return `${elementTypeName(t.elementType)}${shape}`;
}

function attributeText(a: AttributeValue, indent: string): string {
  switch (a.kind) {
    case 'graph':
      return `\n${printGraph(a.value, `${indent}    `)}`;
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

/** A deterministic text form of a graph, for golden tests and `--print-ir-after`. */
export function printGraph(graph: Graph, indent = ''): string {
  const lines: string[] = [];
  lines.push(
    `${indent}graph ${JSON.stringify(graph.name)} (${graph.inputs.map((v) => `%${v.name}: ${typeText(v.type)}`).join(', ')}) {`,
  );
  for (const init of graph.initializers.values()) {
    if (graph.inputs.includes(init.value)) continue;
    lines.push(`${indent}  const %${init.value.name}: ${typeText(init.value.type)}`);
  }
  for (const node of graph.nodes) {
    const attrs = [...node.attributes].map(([k, a]) => `${k}=${attributeText(a, indent)}`).join(', ');
    const op = node.domain ? `${node.domain}.${node.op}` : node.op;
    lines.push(
      `${indent}  ${node.outputs.map(ref).join(', ')} = ${op}(${node.inputs.map(ref).join(', ')})${attrs ? ` {${attrs}}` : ''}  # ${node.name}`,
    );
  }
  lines.push(`${indent}  return ${graph.outputs.map(ref).join(', ')}`);
  lines.push(`${indent}}`);
  return lines.join('\n');
}

export function printModel(model: Model): string {
  const opsets = model.opsetImports.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`).join(' ');
  return `model ir=${model.irVersion} opsets=${opsets}\n${printGraph(model.graph)}\n`;
}
