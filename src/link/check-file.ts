import { readFile } from 'node:fs/promises';
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { bySourceOrder, type CheckedModel, checkRamp, type RampFile } from '../parser/index.js';
import { FileCache, type LinkedModel, linkModel } from './link.js';

export interface CheckFileResult {
  readonly diagnostics: Diagnostic[];
  readonly ast?: RampFile;
  readonly models?: readonly CheckedModel[];
  /** Present when parsing, checking and linking all succeeded. */
  readonly linked?: readonly LinkedModel[];
}

/** `offramp check FILE`: read, parse, check and link a `.ramp` file. */
export async function checkFile(path: string): Promise<CheckFileResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return { diagnostics: [diagnostic('OR7001', { file: path, reason: (error as Error).message })] };
  }
  let source: string;
  try {
    source = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = { offset: 0, line: 1, column: 1 };
    return {
      diagnostics: [
        diagnostic(
          'OR1007',
          { reason: 'invalid byte sequence' },
          { span: { file: path, start: at, end: at } },
        ),
      ],
    };
  }
  return checkSource(source, path);
}

/** The same for source text already in memory (`file` names it in diagnostics and anchors relative paths). */
export async function checkSource(source: string, file: string): Promise<CheckFileResult> {
  const checked = checkRamp(source, file);
  if (!checked.models) return checked;
  const cache = new FileCache();
  const diagnostics = [...checked.diagnostics];
  const linked: LinkedModel[] = [];
  for (const model of checked.models) {
    const result = await linkModel(model, cache);
    diagnostics.push(...result.diagnostics);
    if (result.linked) linked.push(result.linked);
  }
  const ok = linked.length === checked.models.length;
  return {
    diagnostics: bySourceOrder(diagnostics),
    ...(checked.ast ? { ast: checked.ast } : {}),
    models: checked.models,
    ...(ok ? { linked } : {}),
  };
}
