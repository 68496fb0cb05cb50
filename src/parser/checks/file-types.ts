import { diagnostic } from '../../diagnostics/index.js';
import type { PathLiteral, WeightsDecl } from '../ast.js';
import type { CheckContext, CheckRule } from './rule.js';

function expect(path: PathLiteral, what: string, extension: string, ctx: CheckContext): void {
  if (!path.written.toLowerCase().endsWith(extension)) {
    ctx.report(diagnostic('OR2024', { what, file: path.written, extension }, { span: path.loc }));
  }
}

/** A warning, not an error: the linker reads the contents, but a wrong extension is usually a wrong path. */
export const fileTypes: CheckRule = {
  name: 'file-types',
  check(model, ctx) {
    const weights: WeightsDecl[] = [];
    for (const m of model.members) {
      if (m.kind === 'Backbone') expect(m.path, 'backbone', '.onnx', ctx);
      if (m.kind === 'Exits') for (const w of m.members) if (w.kind === 'Weights') weights.push(w);
      if (m.kind === 'Policy') {
        for (const p of m.params) {
          const v = p.value;
          const w = v.kind === 'Weights' ? v : v.kind === 'Call' ? v.weights : undefined;
          if (w) weights.push(w);
        }
      }
    }
    for (const w of weights) expect(w.file, 'weights file', '.safetensors', ctx);
  },
};
