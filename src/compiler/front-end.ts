import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { checkFile, checkSource, type LinkedModel } from '../link/index.js';

/**
 * Reads, parses, checks and links a `.ramp` file (or given source text): every name it uses is resolved
 * against the ONNX backbone and the safetensors files before any pass runs.
 */
export async function loadRamp(
  file: string,
  source?: string,
): Promise<{ models: LinkedModel[]; diagnostics: Diagnostic[] }> {
  try {
    const result = source === undefined ? await checkFile(file) : await checkSource(source, file);
    return { models: [...(result.linked ?? [])], diagnostics: [...result.diagnostics] };
  } catch (error) {
    return { models: [], diagnostics: [diagnostic('OR9001', { detail: (error as Error).message })] };
  }
}
