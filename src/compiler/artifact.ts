import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateSdk, type SdkOptions } from '../codegen/index.js';
import { ElementType, elementTypeName, importModel, type Model } from '../ir/index.js';
import {
  FULL_DEPTH_INPUT,
  OUTPUT_NAMES,
  parameterInputName,
  UNIFORM_INPUT,
} from '../passes/insert-policy.js';
import type { CompilePlan } from '../passes/plan.js';
import type { SegmentModel } from '../passes/split-segments.js';
import { policySpecs } from '../policies/index.js';
import type {
  ArtifactTarget,
  Manifest,
  ElementType as ManifestType,
  TensorSpec,
} from '../runtime/manifest.js';
import { MANIFEST_FORMAT_VERSION } from '../runtime/manifest.js';
import { decoderSpec } from './decoder-manifest.js';

export const COMPILER_ID = 'offramp 0.1.0';

/** A file an emitter produced; writing happens in one separate, atomic step. */
export interface GeneratedFile {
  /** Relative to the artifact directory. */
  readonly path: string;
  readonly contents: Uint8Array | string;
}

export interface TargetRequest {
  readonly target: ArtifactTarget['target'];
  readonly form: ArtifactTarget['form'];
  readonly precision: ArtifactTarget['precision'];
}

const EXECUTION_PROVIDERS: Readonly<Record<ArtifactTarget['target'], string[]>> = {
  cpu: ['cpu'],
  cuda: ['cuda', 'cpu'],
  webgpu: ['webgpu'],
};

function manifestType(code: number): ManifestType {
  const name = elementTypeName(code);
  return (
    ['float32', 'float16', 'float64', 'int64', 'int32', 'bool'].includes(name) ? name : 'float32'
  ) as ManifestType;
}

function perExitDefault(
  value: number | readonly number[],
  perExit: boolean,
  exits: number,
): number | readonly number[] {
  if (!perExit || typeof value !== 'number') return value;
  return Array.from({ length: exits }, () => value);
}

const segmentFile = (k: number) => `segment-${k + 1}.onnx`;
const fp16File = 'model.fp16.onnx';

/** One model of a target after its legalization: its own file when a pass changed it, and its placement. */
export interface LegalizedModel {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly model: Model;
  /** Shape nodes onnxruntime keeps on the host by design (none once shape arithmetic is folded). */
  readonly hostNodes: readonly string[];
  /** Whether every node is placed on the target's device (no OR6xxx warning, no host node). */
  readonly allOnDevice: boolean;
}

/** A target's legalized models: the chain form, and the segments for a segmented target. */
export interface TargetModels {
  readonly chain: LegalizedModel;
  readonly segments?: readonly LegalizedModel[];
  /** The session options the placement was checked for (the profile's, e.g. CPU fallback disabled). */
  readonly sessionOptions?: Readonly<Record<string, unknown>>;
}

/** A file's sha256, read in chunks: backbones can be larger than we want to hold twice. */
function sha256File(path: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 22);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function tensorSpec(
  name: string,
  elementType: number,
  shape: readonly (number | string | undefined)[] | undefined,
): TensorSpec {
  return { name, elementType: manifestType(elementType), shape: (shape ?? []).map((d, k) => d ?? `d${k}`) };
}

/**
 * The element type of every graph input and output of a target's models, by name (segments included): what
 * the runtime and the SDK feed (converting the caller's values, e.g. int64 ids to WebGPU's int32) and read.
 */
function ioTypesOf(models: readonly Model[]): {
  feedTypes: Record<string, ManifestType>;
  outputTypes: Record<string, ManifestType>;
} {
  const feedTypes: Record<string, ManifestType> = {};
  const outputTypes: Record<string, ManifestType> = {};
  for (const m of models) {
    for (const v of m.graph.inputs) {
      const type = v.type?.elementType;
      if (type !== undefined && !m.graph.initializers.has(v.name)) feedTypes[v.name] ??= manifestType(type);
    }
    for (const v of m.graph.outputs) {
      const type = v.type?.elementType;
      if (type !== undefined) outputTypes[v.name] ??= manifestType(type);
    }
  }
  return { feedTypes, outputTypes };
}

/**
 * The artifact of one compiled model: the model file, its manifest and a short report. Pure: the same
 * inputs give byte-identical files (no timestamps, no absolute paths).
 */
export function artifactFiles(options: {
  readonly plan: CompilePlan;
  readonly model: Model;
  readonly bytes: Uint8Array;
  readonly layers: number;
  readonly exits: readonly number[];
  readonly targets: readonly TargetRequest[];
  readonly rampFile: string;
  readonly classes?: readonly string[];
  readonly statistics: Record<string, Record<string, number>>;
  /** The fp16 variant of the chain model (MatMul/Gemm in fp16), when a target asks for it. */
  readonly fp16?: Uint8Array;
  /** Each non-CPU target's models after its legalization (`legalizeTargets`). */
  readonly legalized?: Partial<Record<ArtifactTarget['target'], TargetModels>>;
  /** The segmented form's models, when a target asks for it. */
  readonly segments?: readonly SegmentModel[];
  /** The typed TypeScript SDK to generate beside the models (the `.ramp` file's `sdk` block). */
  readonly sdk?: SdkOptions;
}): GeneratedFile[] {
  const { plan, model } = options;
  const spec = policySpecs[plan.policy.kind];
  const parameterInputs = new Set(spec.parameters.map((p) => parameterInputName(p.name)));
  const inputs = model.graph.inputs
    .filter(
      (v) =>
        !parameterInputs.has(v.name) &&
        v.name !== UNIFORM_INPUT &&
        v.name !== FULL_DEPTH_INPUT &&
        !model.graph.initializers.has(v.name),
    )
    .map((v) => tensorSpec(v.name, v.type?.elementType ?? ElementType.float32, v.type?.shape));
  const out = (name: string) => {
    const v = model.graph.outputs.find((o) => o.name === name)!;
    return tensorSpec(name, v.type?.elementType ?? ElementType.float32, v.type?.shape);
  };
  const base = join(options.rampFile, '..');
  const sources: Record<string, string> = {
    [relative(base, options.rampFile) || options.rampFile]: sha256File(options.rampFile),
    [relative(base, plan.backbone)]: sha256File(plan.backbone),
  };
  if (plan.head.kind === 'weights' && plan.head.weightsFile)
    sources[relative(base, plan.head.weightsFile)] = sha256File(plan.head.weightsFile);
  if (plan.policy.weightsFile)
    sources[relative(base, plan.policy.weightsFile)] = sha256File(plan.policy.weightsFile);
  const modelFile = 'model.onnx';
  const decoder = decoderSpec(plan, model, options.layers);
  // Every model file of the artifact, for the element types of its inputs and outputs.
  const models = new Map<string, Model>([[modelFile, model]]);
  const compiledFiles = new Set([
    modelFile,
    fp16File,
    ...(options.segments ?? []).map((_, k) => segmentFile(k)),
  ]);
  const legalizedFiles: GeneratedFile[] = [];
  for (const target of Object.values(options.legalized ?? {}))
    for (const m of [target.chain, ...(target.segments ?? [])]) {
      if (models.has(m.file)) continue;
      models.set(m.file, m.model);
      if (compiledFiles.has(m.file)) continue;
      legalizedFiles.push({ path: m.file, contents: m.bytes });
    }
  const modelOf = (file: string): Model => {
    let m = models.get(file);
    if (!m) {
      const k = options.segments?.findIndex((_, i) => segmentFile(i) === file) ?? -1;
      const bytes = file === fp16File ? options.fp16 : options.segments?.[k]?.bytes;
      m = importModel(bytes!).model!;
      models.set(file, m);
    }
    return m;
  };
  const manifest: Manifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    compiler: COMPILER_ID,
    name: plan.name,
    policy: {
      kind: plan.policy.kind,
      minExit: plan.minExit,
      ...(model.graph.inputs.some((v) => v.name === UNIFORM_INPUT) ? { uniformsInput: UNIFORM_INPUT } : {}),
      parameters: spec.parameters.map((p) => ({
        name: p.name,
        input: parameterInputName(p.name),
        elementType: p.dtype as ManifestType,
        // A per-exit parameter is a vector input: a single value applies to every exit.
        default: perExitDefault(
          plan.policy.parameters[p.name] ?? p.default,
          p.perExit === true,
          options.exits.length,
        ),
        description: p.description,
        ...(p.minimum !== undefined ? { minimum: p.minimum } : {}),
        ...(p.maximum !== undefined ? { maximum: p.maximum } : {}),
        ...(p.integer ? { integer: true } : {}),
      })),
    },
    layers: options.layers,
    exits: options.exits,
    inputs,
    outputs: {
      logits: out(OUTPUT_NAMES.logits),
      exitLayer: out(OUTPUT_NAMES.exitLayer),
      confidence: out(OUTPUT_NAMES.confidence),
    },
    ...(options.classes ? { classes: options.classes } : {}),
    // A segmented target also gets the chain form: the same model as one session (batch 1, or no driver).
    targets: options.targets
      .flatMap((t) =>
        t.form === 'segmented' && options.segments ? [t, { ...t, form: 'chain' as const }] : [t],
      )
      .map((t): ArtifactTarget => {
        const legalized = options.legalized?.[t.target];
        const segmented = t.form === 'segmented' && options.segments !== undefined;
        const fp16 = t.precision === 'fp16' && options.fp16 !== undefined && !segmented;
        const chain = legalized?.chain;
        const files = segmented
          ? options.segments!.map((_, k) => legalized?.segments?.[k]?.file ?? segmentFile(k))
          : [chain?.file ?? (fp16 ? fp16File : modelFile)];
        const placed = segmented ? (legalized?.segments ?? []) : chain ? [chain] : [];
        return {
          target: t.target,
          form: segmented ? 'segmented' : 'chain',
          precision: fp16 ? 'fp16' : 'fp32',
          models: files,
          ...(segmented
            ? {
                segments: options.segments!.map((s, k) => ({
                  model: files[k]!,
                  exitLayer: s.exitLayer,
                  inputs: s.inputs,
                  outputs: s.outputs,
                  carried: s.carried,
                })),
              }
            : {}),
          executionProviders: EXECUTION_PROVIDERS[t.target],
          sessionOptions: legalized?.sessionOptions ?? {},
          ...ioTypesOf(files.map(modelOf)),
          placement:
            t.target === 'cpu' || placed.length === 0
              ? { allOnDevice: t.target === 'cpu', hostNodes: [] }
              : {
                  allOnDevice: placed.every((m) => m.allOnDevice),
                  hostNodes: [...new Set(placed.flatMap((m) => m.hostNodes))].sort(),
                },
        };
      }),
    sources,
    ...(decoder ? { decoder } : {}),
  };
  const report = [
    `# ${plan.name}`,
    '',
    `Generated by ${COMPILER_ID}. Do not edit.`,
    '',
    `- policy: ${plan.policy.kind} (${spec.parameters.map((p) => `${p.name} = ${plan.policy.parameters[p.name] ?? p.default}`).join(', ') || 'no parameters'}), min_exit ${plan.minExit}`,
    `- backbone layers: ${options.layers}; exits after layers ${options.exits.join(', ')}`,
    `- graph: ${model.graph.nodes.length} top-level nodes, ${options.statistics['make-conditional']?.['if-nodes'] ?? 0} conditional segments`,
    '',
    '| pass | statistics |',
    '|---|---|',
    ...Object.entries(options.statistics).map(
      ([pass, s]) =>
        `| ${pass} | ${Object.entries(s)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} |`,
    ),
    '',
  ].join('\n');
  return [
    { path: modelFile, contents: options.bytes },
    ...(options.fp16 ? [{ path: fp16File, contents: options.fp16 }] : []),
    ...(options.segments ?? []).map((s, k) => ({ path: segmentFile(k), contents: s.bytes })),
    ...legalizedFiles,
    { path: 'manifest.json', contents: `${JSON.stringify(manifest, null, 2)}\n` },
    { path: 'report.md', contents: report },
    ...(options.sdk ? generateSdk(manifest, options.sdk) : []),
  ];
}
