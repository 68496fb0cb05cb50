/**
 * Target profiles: what a target (CPU, CUDA, WebGPU) accepts, as data in `targets/<name>.json`
 * (schema: `targets/profile.schema.json`). This module types, validates and loads them.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closestMatch, type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { type ElementType, isElementType } from './element-types.js';

export const TARGET_NAMES = ['cpu', 'cuda', 'webgpu-native', 'webgpu-jsep'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** `chain`: one model with a flat chain of guarded segments; `segmented`: one model per segment. */
export type GraphForm = 'chain' | 'segmented';

/**
 * Kernels registered for an operator over some since-versions. An operator whose element types differ
 * between versions has one entry per group of versions.
 */
export interface KernelRegistration {
  readonly op: string;
  /** `ai.onnx` or `com.microsoft`. */
  readonly domain: string;
  /**
   * ORT's notation: `"13"` (exactly 13), `"7-12"` (since-versions 7 to 12), `"14+"` (an open-ended
   * registration, which ORT matches only to since-version 14: "N+" means exactly N).
   */
  readonly versions: readonly string[];
  /** Type parameter → registered element types, e.g. `{ "T": ["float32", "float16"] }`. */
  readonly types: Readonly<Record<string, readonly ElementType[]>>;
}

export interface OperatorTable {
  /** Where the table comes from: a file and commit, or "probed on …". */
  readonly source: string;
  readonly kernels: readonly KernelRegistration[];
}

export interface ExecutionProviderInfo {
  /** The name passed in `executionProviders`, e.g. `webgpu`. */
  readonly name: string;
  /** ORT's internal provider name, as in logs and profiles, e.g. `WebGpuExecutionProvider`. */
  readonly ortName: string;
  /** Runtimes that load this target: npm package and the import specifier to use. */
  readonly runtimes: readonly { readonly package: string; readonly import: string }[];
}

export interface ControlFlowConstraints {
  /** `host`: the If kernel reads `cond` from host memory, so a device-computed cond costs a sync copy. */
  readonly ifCondition: 'host' | 'device';
  /** Whether Loop and Scan have kernels on the device (false: they run on the CPU). */
  readonly loopOnDevice: boolean;
  readonly scanOnDevice: boolean;
  /** The deepest If nesting ORT parses (protobuf recursion limit). */
  readonly maxIfNesting: number;
}

export interface PrecisionOptions {
  readonly default: 'float32' | 'float16';
  readonly supported: readonly ('float32' | 'float16')[];
  /** Ops kept in float32 when converting to float16 (confidence math, cumulative sums). */
  readonly keepFloat32Ops: readonly string[];
}

export interface TargetProfile {
  readonly name: TargetName;
  readonly description: string;
  /** ai.onnx opset to emit. */
  readonly opset: number;
  /** ModelProto.ir_version to emit. */
  readonly irVersion: number;
  readonly graphForm: GraphForm;
  readonly precision: PrecisionOptions;
  readonly executionProvider: ExecutionProviderInfo;
  /** Session options the SDK passes (`InferenceSession.create` options object). */
  readonly sessionOptions: Readonly<Record<string, unknown>>;
  readonly controlFlow: ControlFlowConstraints;
  /** Severity of a node that would fall back to the CPU. */
  readonly fallbackSeverity: 'error' | 'warning';
  readonly operators: OperatorTable;
  /** Known limitations worth telling a user, one sentence each. */
  readonly notes: readonly string[];
}

/** The folder holding the profile JSON files (`targets/` at the package root). */
export const PROFILES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'targets');

export type LoadResult =
  | { readonly ok: true; readonly profile: TargetProfile }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/** Loads and validates `targets/<name>.json` (or the file at `options.file`). */
export async function loadProfile(
  name: string,
  options: { readonly dir?: string } = {},
): Promise<LoadResult> {
  if (!(TARGET_NAMES as readonly string[]).includes(name)) {
    const suggestion = closestMatch(name, TARGET_NAMES);
    return {
      ok: false,
      diagnostics: [
        diagnostic(
          'OR6011',
          { name, known: TARGET_NAMES.join(', ') },
          suggestion !== undefined ? { suggestion } : {},
        ),
      ],
    };
  }
  const file = join(options.dir ?? PROFILES_DIR, `${name}.json`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return { ok: false, diagnostics: [diagnostic('OR6010', { file, reason: (error as Error).message })] };
  }
  const problems = validateProfile(json);
  if (problems.length > 0) {
    return { ok: false, diagnostics: problems.map((reason) => diagnostic('OR6010', { file, reason })) };
  }
  const profile = json as TargetProfile;
  if (profile.name !== name) {
    return {
      ok: false,
      diagnostics: [diagnostic('OR6010', { file, reason: `its name is '${profile.name}', not '${name}'` })],
    };
  }
  return { ok: true, profile };
}

/** Loads a profile that ships with Offramp; a broken shipped profile is a bug, so this throws. */
export async function loadBuiltinProfile(name: TargetName): Promise<TargetProfile> {
  const result = await loadProfile(name);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.profile;
}

const VERSION_RANGE = /^(\d+)(?:-(\d+)|\+)?$/;

/** A registration string as an inclusive range; `"N+"` has no upper bound. */
export function parseVersionRange(
  text: string,
): { readonly start: number; readonly end?: number } | undefined {
  const m = VERSION_RANGE.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  if (m[2] !== undefined) return { start, end: Number(m[2]) };
  return text.endsWith('+') ? { start } : { start, end: start };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Checks a parsed profile against the shape `profile.schema.json` describes and returns one sentence
 * per problem (empty when valid). Hand-written so that loading needs no JSON-schema engine.
 */
export function validateProfile(json: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  if (!isObject(json)) return ['the file is not a JSON object'];
  need(
    typeof json.name === 'string' && (TARGET_NAMES as readonly string[]).includes(json.name),
    'name must be a known target',
  );
  need(typeof json.description === 'string', 'description must be a string');
  need(Number.isInteger(json.opset) && (json.opset as number) >= 7, 'opset must be an integer ≥ 7');
  need(
    Number.isInteger(json.irVersion) && (json.irVersion as number) >= 3,
    'irVersion must be an integer ≥ 3',
  );
  need(
    json.graphForm === 'chain' || json.graphForm === 'segmented',
    "graphForm must be 'chain' or 'segmented'",
  );
  need(
    json.fallbackSeverity === 'error' || json.fallbackSeverity === 'warning',
    "fallbackSeverity must be 'error' or 'warning'",
  );
  need(isStringArray(json.notes), 'notes must be an array of strings');
  need(isObject(json.sessionOptions), 'sessionOptions must be an object');

  const precision = json.precision;
  const precisions = ['float32', 'float16'];
  need(
    isObject(precision) &&
      precisions.includes(precision.default as string) &&
      isStringArray(precision.supported) &&
      precision.supported.every((p) => precisions.includes(p)) &&
      isStringArray(precision.keepFloat32Ops),
    'precision must have default, supported (float32/float16) and keepFloat32Ops',
  );

  const ep = json.executionProvider;
  need(
    isObject(ep) &&
      typeof ep.name === 'string' &&
      typeof ep.ortName === 'string' &&
      Array.isArray(ep.runtimes) &&
      ep.runtimes.every((r) => isObject(r) && typeof r.package === 'string' && typeof r.import === 'string'),
    'executionProvider must have name, ortName and runtimes [{package, import}]',
  );

  const cf = json.controlFlow;
  need(
    isObject(cf) &&
      (cf.ifCondition === 'host' || cf.ifCondition === 'device') &&
      typeof cf.loopOnDevice === 'boolean' &&
      typeof cf.scanOnDevice === 'boolean' &&
      Number.isInteger(cf.maxIfNesting),
    'controlFlow must have ifCondition, loopOnDevice, scanOnDevice and maxIfNesting',
  );

  const ops = json.operators;
  if (!isObject(ops) || typeof ops.source !== 'string' || !Array.isArray(ops.kernels)) {
    problems.push('operators must have a source and a kernels array');
    return problems;
  }
  ops.kernels.forEach((k, i) => {
    const where = `operators.kernels[${i}]`;
    if (!isObject(k) || typeof k.op !== 'string' || typeof k.domain !== 'string') {
      problems.push(`${where} must have op and domain`);
      return;
    }
    need(
      isStringArray(k.versions) && k.versions.length > 0 && k.versions.every((v) => parseVersionRange(v)),
      `${where} (${k.op}): versions must be non-empty strings like "13", "7-12" or "14+"`,
    );
    need(
      isObject(k.types) &&
        Object.values(k.types).every((list) => isStringArray(list) && list.every((t) => isElementType(t))),
      `${where} (${k.op}): types must map type parameters to known element types`,
    );
  });
  return problems;
}
