import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { type NpyArray, readNpy } from './npy.js';

/** Reads every `<name>.npy` in a folder (model inputs by name, `labels.npy`), keyed by name. */
export async function readNpyFolder(
  dir: string,
): Promise<{ arrays: Map<string, NpyArray>; diagnostics: Diagnostic[] }> {
  const arrays = new Map<string, NpyArray>();
  const diagnostics: Diagnostic[] = [];
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.npy')).sort();
  } catch (error) {
    diagnostics.push(
      diagnostic('OR7001', { file: dir, reason: (error as Error).message }, { graph: { file: dir } }),
    );
    return { arrays, diagnostics };
  }
  for (const name of names) {
    const { array, diagnostics: problems } = await readNpy(join(dir, name));
    diagnostics.push(...problems);
    if (array) arrays.set(name.slice(0, -4), array);
  }
  return { arrays, diagnostics };
}
