/**
 * What the SDK looks like for one manifest, decided before any code is built: type and member names,
 * TypeScript types of inputs and parameters, which model file each runtime loads. The emitters only lay
 * this out.
 */
import type { ElementType, Manifest, ParameterSpec, TensorSpec } from '../runtime/index.js';
import { isIdentifier } from './ts-literals.js';

export type SdkRuntime = 'node' | 'web';

export interface SdkOptions {
  /** `node` wraps onnxruntime-node, `web` wraps onnxruntime-web (WebGPU); `both` emits both entries. */
  readonly runtime: SdkRuntime | 'both';
  /** Name of the generated class; also prefixes its types (`PosTaggerInputs`, `PosTaggerParams`). */
  readonly className: string;
}

export interface SdkInput {
  readonly spec: TensorSpec;
  /** The TypeScript type a caller passes: a typed array or a plain array of the element type. */
  readonly type: string;
}

export interface SdkParameter {
  readonly spec: ParameterSpec;
  /** `setPatience` for `patience`. */
  readonly setter: string;
  /** Per-exit parameters take one value per exit (or one for all); their default is a vector. */
  readonly perExit: boolean;
  readonly type: string;
}

export interface SdkEntry {
  readonly runtime: SdkRuntime;
  /** Entry file in the SDK folder, e.g. `node.ts`. */
  readonly file: string;
  /** Model file relative to the artifact directory. */
  readonly modelFile: string;
  readonly executionProviders: readonly string[];
  /** Inputs that entry's model takes in another element type (`ArtifactTarget.feedTypes`). */
  readonly feedTypes: Readonly<Record<string, 'int32' | 'float32'>>;
}

export interface SdkPlan {
  readonly manifest: Manifest;
  readonly className: string;
  readonly baseClass: string;
  readonly types: {
    readonly inputs: string;
    readonly params: string;
    readonly result: string;
    readonly telemetry: string;
    readonly stats: string;
    readonly createOptions: string;
    readonly sampling: string;
  };
  /** The inputs member carrying the batch size (`batch`, unless a model input is called that). */
  readonly batchField: string;
  readonly inputs: readonly SdkInput[];
  readonly parameters: readonly SdkParameter[];
  readonly entries: readonly SdkEntry[];
  /** npm package name, kebab-case of the class name. */
  readonly packageName: string;
}

/** What a caller may pass for each element type: the exact typed array, or plain numbers. */
const INPUT_TYPES: Readonly<Record<ElementType, string>> = {
  int64: 'BigInt64Array | readonly (number | bigint)[]',
  int32: 'Int32Array | readonly number[]',
  float32: 'Float32Array | readonly number[]',
  float64: 'Float64Array | readonly number[]',
  // onnxruntime's float16 tensors hold the raw IEEE half bits.
  float16: 'Uint16Array',
  bool: 'Uint8Array | readonly boolean[]',
};

const words = (name: string): string[] => name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).filter(Boolean);
const capitalize = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/** `min_exit` → `setMinExit`. */
export const setterName = (parameter: string): string => `set${words(parameter).map(capitalize).join('')}`;

/** The class name when the `.ramp` file's `sdk` block gives none: `encoder_pabee` → `EncoderPabee`. */
export const defaultClassName = (modelName: string): string => {
  const name = words(modelName).map(capitalize).join('');
  return /^[A-Za-z_$]/.test(name) ? name : `Model${name}`;
};

/** `PosTagger` → `pos-tagger`. */
export const packageNameOf = (className: string): string =>
  words(className)
    .map((w) => w.toLowerCase())
    .join('-');

function chainModel(manifest: Manifest, preferred: readonly string[]): string {
  const chains = manifest.targets.filter((t) => t.form === 'chain');
  const target = preferred.map((name) => chains.find((t) => t.target === name)).find(Boolean) ?? chains[0];
  // The compiler emits the chain form for every target (a segmented target gets it too).
  if (!target?.models[0]) throw new Error(`manifest of '${manifest.name}' has no chain-form model`);
  return target.models[0];
}

/**
 * The inputs the entry's model takes in another type than the caller gives (the manifest's `inputs` and
 * parameter types; PonderNet's uniforms are float32): `feedTypes` lists every input, only these convert.
 */
function feedTypesOf(manifest: Manifest, modelFile: string): SdkEntry['feedTypes'] {
  const target = manifest.targets.find((t) => t.form === 'chain' && t.models[0] === modelFile);
  const given = new Map<string, string>([
    ...manifest.inputs.map((i) => [i.name, i.elementType] as const),
    ...manifest.policy.parameters.map((p) => [p.input, p.elementType] as const),
    ...(manifest.policy.uniformsInput ? [[manifest.policy.uniformsInput, 'float32'] as const] : []),
  ]);
  const out: Record<string, 'int32' | 'float32'> = {};
  for (const [name, type] of Object.entries(target?.feedTypes ?? {}))
    if ((type === 'int32' || type === 'float32') && given.has(name) && given.get(name) !== type)
      out[name] = type;
  return out;
}

function entryFor(manifest: Manifest, runtime: SdkRuntime): SdkEntry {
  if (runtime === 'web') {
    const modelFile = chainModel(manifest, ['webgpu']);
    return {
      runtime,
      file: 'web.ts',
      modelFile,
      executionProviders: ['webgpu'],
      feedTypes: feedTypesOf(manifest, modelFile),
    };
  }
  const modelFile = chainModel(manifest, ['cpu', 'cuda']);
  const target = manifest.targets.find((t) => t.form === 'chain' && t.models[0] === modelFile);
  return {
    runtime,
    file: 'node.ts',
    modelFile,
    executionProviders: target?.executionProviders ?? ['cpu'],
    feedTypes: feedTypesOf(manifest, modelFile),
  };
}

export function planSdk(manifest: Manifest, options: SdkOptions): SdkPlan {
  if (!isIdentifier(options.className))
    throw new Error(`SDK class name '${options.className}' is not a TypeScript identifier`);
  const name = options.className;
  const inputNames = new Set(manifest.inputs.map((i) => i.name));
  const batchField = ['batch', 'batchSize', 'samples'].find((n) => !inputNames.has(n)) ?? '$batch';
  const runtimes: SdkRuntime[] = options.runtime === 'both' ? ['node', 'web'] : [options.runtime];
  return {
    manifest,
    className: name,
    baseClass: `${name}Base`,
    types: {
      inputs: `${name}Inputs`,
      params: `${name}Params`,
      result: `${name}Result`,
      telemetry: `${name}Telemetry`,
      stats: `${name}Stats`,
      createOptions: `${name}CreateOptions`,
      sampling: `${name}Sampling`,
    },
    batchField,
    inputs: manifest.inputs.map((spec) => ({ spec, type: INPUT_TYPES[spec.elementType] })),
    parameters: manifest.policy.parameters.map((spec) => {
      const perExit = typeof spec.default !== 'number';
      return {
        spec,
        setter: setterName(spec.name),
        perExit,
        type: perExit ? 'number | readonly number[]' : 'number',
      };
    }),
    entries: runtimes.map((r) => entryFor(manifest, r)),
    packageName: packageNameOf(name),
  };
}
