import { readFile } from 'node:fs/promises';
import { type Diagnostic, diagnostic, hasErrors } from '../diagnostics/index.js';
import type { CheckedModel } from '../parser/ast.js';
import { parseRamp } from '../parser/parse.js';

/** Reads, parses and checks a `.ramp` file (or given source text) into checked models. */
export async function loadRamp(file: string, source?: string): Promise<{ models: CheckedModel[]; diagnostics: Diagnostic[] }> {
  let text = source;
  if (text === undefined) {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      return { models: [], diagnostics: [diagnostic('OR7001', { file, reason: (error as Error).message }, { graph: { file } })] };
    }
  }
  const parsed = parseRamp(text, file);
  const diagnostics = [...parsed.diagnostics];
  if (!parsed.ast || hasErrors(diagnostics)) return { models: [], diagnostics };
  const models = parsed.ast.models.filter((m): m is CheckedModel => m.backbone !== undefined && m.exits !== undefined && m.policy !== undefined);
  return { models, diagnostics };
}
