import { diagnostic } from '../../diagnostics/index.js';
import type { RampFile } from '../ast.js';
import { declaredTwice } from './rule.js';

/** File-level: at least one model, and model names are unique (they name the outputs). */
export function checkModels(file: RampFile, report: (d: ReturnType<typeof diagnostic>) => void): void {
  if (file.models.length === 0)
    report(
      diagnostic('OR2025', {}, { span: { file: file.file, start: file.loc.start, end: file.loc.start } }),
    );
  const seen = new Map<string, RampFile['models'][number]>();
  for (const model of file.models) {
    const first = seen.get(model.name.value);
    if (first) report(declaredTwice(`model '${model.name.value}'`, model.name.loc, first.name.loc));
    else seen.set(model.name.value, model);
  }
}
