import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { type CompileResult, compile } from './compile.js';

const TARGET_NAMES = ['cpu', 'cuda', 'webgpu'] as const;
type TargetName = (typeof TARGET_NAMES)[number];

/** One model of a build: its `.ramp` file, where its artifacts go, and optionally which targets to build. */
export interface ConfigModel {
  readonly file: string;
  /** Output directory (default `out`), relative to the config file. */
  readonly outDir?: string;
  readonly targets?: readonly TargetName[];
}

/** `offramp.config.json` (or `.mjs` / `.js` exporting it as default): the models a pipeline builds. */
export interface OfframpConfig {
  readonly models: readonly ConfigModel[];
}

/** The config files looked for, in order, when none is named. */
export const CONFIG_FILES = ['offramp.config.json', 'offramp.config.mjs', 'offramp.config.js'] as const;

/** Paths in the config resolved against its directory; OR7004 (naming the file) for anything malformed. */
export async function loadConfig(
  path: string,
): Promise<{ config?: OfframpConfig; diagnostics: Diagnostic[] }> {
  const bad = (reason: string) => ({
    diagnostics: [diagnostic('OR7004', { file: path, reason }, { graph: { file: path } })],
  });
  let raw: unknown;
  try {
    raw = path.endsWith('.json')
      ? JSON.parse(await readFile(path, 'utf8'))
      : ((await import(pathToFileURL(resolve(path)).href)) as { default?: unknown }).default;
  } catch (error) {
    return bad(`cannot be read: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return bad('must hold an object: { models: [{ file, outDir?, targets? }] }');
  const unknown = Object.keys(raw).filter((k) => k !== 'models');
  if (unknown.length > 0) return bad(`unknown key '${unknown[0]}' (a config has only 'models')`);
  const models = (raw as { models?: unknown }).models;
  if (!Array.isArray(models) || models.length === 0) return bad("needs 'models': a non-empty list");
  const base = dirname(resolve(path));
  const out: ConfigModel[] = [];
  for (const [k, m] of models.entries()) {
    const entry = m as Record<string, unknown>;
    if (typeof entry !== 'object' || entry === null)
      return bad(`models[${k}] must be an object { file, ... }`);
    const extra = Object.keys(entry).filter((key) => !['file', 'outDir', 'targets'].includes(key));
    if (extra.length > 0)
      return bad(`models[${k}] has unknown key '${extra[0]}' (known: file, outDir, targets)`);
    if (typeof entry.file !== 'string') return bad(`models[${k}] needs 'file': the path of a .ramp file`);
    if (entry.outDir !== undefined && typeof entry.outDir !== 'string')
      return bad(`models[${k}].outDir must be a path`);
    const targets = entry.targets;
    if (
      targets !== undefined &&
      (!Array.isArray(targets) || targets.some((t) => !TARGET_NAMES.includes(t as TargetName)))
    )
      return bad(`models[${k}].targets must be a list of ${TARGET_NAMES.join(', ')}`);
    out.push({
      file: resolve(base, entry.file),
      outDir: resolve(base, (entry.outDir as string | undefined) ?? 'out'),
      ...(targets ? { targets: targets as TargetName[] } : {}),
    });
  }
  return { config: { models: out }, diagnostics: [] };
}

/**
 * Compiles every model of a config in order (a config object, or the path of a config file to load first);
 * never exits the process. Diagnostics and artifacts of all models together.
 */
export async function compileAll(
  configOrPath: OfframpConfig | string,
  options: { readonly debug?: boolean; readonly dryRun?: boolean } = {},
): Promise<CompileResult> {
  let config: OfframpConfig;
  if (typeof configOrPath === 'string') {
    const loaded = await loadConfig(configOrPath);
    if (!loaded.config) return { artifacts: [], diagnostics: loaded.diagnostics };
    config = loaded.config;
  } else config = configOrPath;
  const diagnostics: Diagnostic[] = [];
  const artifacts: CompileResult['artifacts'][number][] = [];
  for (const m of config.models) {
    const result = await compile({
      file: m.file,
      outDir: m.outDir ?? 'out',
      ...(m.targets ? { targets: m.targets } : {}),
      ...(options.debug !== undefined ? { debug: options.debug } : {}),
      ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
    });
    diagnostics.push(...result.diagnostics);
    artifacts.push(...result.artifacts);
  }
  return { diagnostics, artifacts };
}
