import { discoverLayers, readModel } from '../../ir/index.js';
import { ExitCode } from '../exit-codes.js';
import { type OutputOptions, printDiagnostics, printJson } from '../output.js';

export async function inspectCommand(
  file: string,
  options: OutputOptions & { layers?: string },
): Promise<number> {
  const { model, diagnostics } = await readModel(file);
  if (!model) {
    if (options.json) printJson('inspect', diagnostics, null);
    return printDiagnostics(diagnostics, options);
  }
  const found = discoverLayers(model, { file, ...(options.layers ? { pattern: options.layers } : {}) });
  const histogram: Record<string, number> = {};
  for (const n of model.graph.nodes) histogram[n.op] = (histogram[n.op] ?? 0) + 1;
  const report = {
    file,
    irVersion: model.irVersion,
    opsets: model.opsetImports,
    inputs: model.graph.inputs
      .filter((v) => !model.graph.initializers.has(v.name))
      .map((v) => ({ name: v.name, type: v.type })),
    outputs: model.graph.outputs.map((v) => ({ name: v.name, type: v.type })),
    nodes: model.graph.nodes.length,
    opHistogram: Object.fromEntries(Object.entries(histogram).sort(([a], [b]) => a.localeCompare(b))),
    layers: found.layers.map((l) => ({
      layer: l.index + 1,
      nodes: l.nodes.length,
      input: l.input.name,
      output: l.output.name,
    })),
    layerPattern: found.pattern,
  };
  if (options.json) {
    printJson('inspect', found.diagnostics, report);
    return ExitCode.ok;
  }
  const lines = [
    `${file}: IR ${report.irVersion}, opsets ${report.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}, ${report.nodes} nodes`,
    `inputs:  ${report.inputs.map((i) => i.name).join(', ')}`,
    `outputs: ${report.outputs.map((o) => o.name).join(', ')}`,
    `layers (${found.pattern}):`,
    ...report.layers.map(
      (l) => `  ${String(l.layer).padStart(3)}  ${String(l.nodes).padStart(4)} nodes  cut -> ${l.output}`,
    ),
    `ops: ${Object.entries(report.opHistogram)
      .map(([op, n]) => `${op} ${n}`)
      .join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return printDiagnostics(found.diagnostics, options);
}
