/**
 * What `offramp run` and `offramp bench` share: opening a compiled artifact in the form its target asks
 * for, checking and batching `.npy` data against the manifest, `--param` parsing, and the original backbone
 * the manifest was built from (found by its recorded hash), run on the same batches.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import type { NpyArray } from '../io/index.js';
import type { ArtifactTarget, Manifest } from '../runtime/manifest.js';
import { CompiledModel, toOrtTensor } from '../runtime/node-session.js';
import { SegmentedModel } from '../runtime/segmented-session.js';
import type { HostTensor } from '../runtime/tensors.js';
import { npyRows } from './npy-rows.js';

export type ArtifactModel = CompiledModel | SegmentedModel;
export type TargetName = ArtifactTarget['target'];
export type FormName = ArtifactTarget['form'];

/** `--param name=value` pairs; a malformed pair is an OR7003 diagnostic. */
export function parseParams(
  pairs: readonly string[] | undefined,
  diagnostics: Diagnostic[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of pairs ?? []) {
    const [name, value] = pair.split('=');
    const n = Number(value);
    if (!name || value === undefined || !Number.isFinite(n)) {
      diagnostics.push(
        diagnostic('OR7003', {
          file: pair,
          reason: 'parameters are given as name=number, e.g. --param patience=3',
        }),
      );
    } else out[name] = n;
  }
  return out;
}

/**
 * Opens a compiled artifact on onnxruntime-node with one intra-op thread: the given form, else the segmented
 * form when the artifact has one for the target (the `.ramp` file asked for it), else the chain form.
 * A directory that cannot be opened is an OR7005 diagnostic naming it.
 */
export async function openArtifact(
  directory: string,
  options: {
    readonly target?: TargetName;
    readonly form?: FormName;
    /** What diagnostics name (default: the directory), e.g. the `.ramp` file a temporary artifact came from. */
    readonly label?: string;
  },
  diagnostics: Diagnostic[],
): Promise<ArtifactModel | undefined> {
  const target = options.target ?? 'cpu';
  try {
    const manifest = JSON.parse(readFileSync(resolve(directory, 'manifest.json'), 'utf8')) as Manifest;
    if (!manifest.targets.some((t) => t.target === target)) {
      const built = [...new Set(manifest.targets.map((t) => t.target))].join(', ');
      throw new Error(
        `it has no '${target}' target${built ? ` (compiled for ${built})` : ''}: pass --target with a target the .ramp file declares, or declare 'target ${target}' in it`,
      );
    }
    const segmented = manifest.targets.some((t) => t.target === target && t.form === 'segmented');
    const form = options.form ?? (segmented ? 'segmented' : 'chain');
    const load = { target, intraOpNumThreads: 1 };
    return form === 'segmented'
      ? await SegmentedModel.load(directory, load)
      : await CompiledModel.load(directory, load);
  } catch (error) {
    diagnostics.push(
      diagnostic(
        'OR7005',
        { file: options.label ?? directory, reason: (error as Error).message },
        { graph: { file: options.label ?? directory } },
      ),
    );
    return undefined;
  }
}

/** One OR7003 per model input that has no `<input>.npy` in the data folder. */
export function checkInputs(
  manifest: Manifest,
  data: ReadonlyMap<string, NpyArray>,
  dataDir: string,
): Diagnostic[] {
  return manifest.inputs
    .filter((i) => !data.has(i.name))
    .map((i) =>
      diagnostic(
        'OR7003',
        { file: dataDir, reason: `no ${i.name}.npy for model input '${i.name}'` },
        { graph: { file: dataDir } },
      ),
    );
}

/** The data cut into batches of the model's inputs (the last one may be shorter), at most `limit` examples. */
export function evalBatches(
  manifest: Manifest,
  data: ReadonlyMap<string, NpyArray>,
  batch: number,
  limit?: number,
): { total: number; batches: { start: number; feeds: Record<string, HostTensor> }[] } {
  const first = data.get(manifest.inputs[0]!.name)!;
  const total = Math.min(first.shape[0]!, limit ?? Number.POSITIVE_INFINITY);
  const batches: { start: number; feeds: Record<string, HostTensor> }[] = [];
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    batches.push({
      start,
      feeds: Object.fromEntries(manifest.inputs.map((i) => [i.name, npyRows(data.get(i.name)!, start, n)])),
    });
  }
  return { total, batches };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * The backbone an artifact was compiled from. The manifest records it relative to the `.ramp` file, with
 * its sha256: resolved against the `.ramp` file's directory when known, else against the artifact directory,
 * its parents and the working directory (as recorded, and without leading `../`), accepting only a file with
 * the recorded hash.
 */
export function locateBackbone(
  manifest: Manifest,
  artifactDir: string,
  rampFile: string | undefined,
  diagnostics: Diagnostic[],
): string | undefined {
  const entry = Object.entries(manifest.sources).find(([path]) => path.endsWith('.onnx'));
  if (!entry) {
    diagnostics.push(
      diagnostic('OR7005', {
        file: artifactDir,
        reason: 'its manifest records no backbone; pass --backbone PATH',
      }),
    );
    return undefined;
  }
  const [relative, hash] = entry;
  if (rampFile) return resolve(dirname(resolve(rampFile)), relative);
  const bases: string[] = [];
  for (let dir = resolve(artifactDir); ; dir = dirname(dir)) {
    bases.push(dir);
    if (dirname(dir) === dir) break;
  }
  bases.push(process.cwd());
  // The path as recorded, and without its leading '../' (the .ramp file's directory is not known here).
  const stripped = relative.replace(/^(\.\.[\\/])+/, '');
  for (const base of bases)
    for (const candidate of new Set([resolve(base, relative), resolve(base, stripped)]))
      if (existsSync(candidate) && sha256(candidate) === hash) return candidate;
  diagnostics.push(
    diagnostic('OR7005', {
      file: artifactDir,
      reason: `its backbone '${relative}' (relative to the .ramp file) was not found with the recorded sha256; pass --backbone PATH`,
    }),
  );
  return undefined;
}

/** The original backbone on onnxruntime-node, on the same feeds as the compiled model (one thread). */
export class BackboneSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async open(path: string): Promise<BackboneSession> {
    return new BackboneSession(
      await ort.InferenceSession.create(path, { intraOpNumThreads: 1, logSeverityLevel: 3 }),
    );
  }

  /** Runs one batch; returns the milliseconds inside onnxruntime. */
  async run(feeds: Readonly<Record<string, HostTensor>>): Promise<number> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) ortFeeds[name] = toOrtTensor(feeds[name]!);
    const began = performance.now();
    await this.session.run(ortFeeds);
    return performance.now() - began;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
