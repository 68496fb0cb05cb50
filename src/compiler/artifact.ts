import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateSdk, type SdkOptions } from '../codegen/index.js';
import { ElementType, elementTypeName, type Model } from '../ir/index.js';
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
const webgpuFile = 'model.webgpu.onnx';

/** The chain model legalized for WebGPU: its own file, feed types and expected host nodes. */
export interface LegalizedModel {
  readonly bytes: Uint8Array;
  readonly model: Model;
  readonly hostNodes: readonly string[];
  /** Whether every node that is not a host shape node is placed on the device. */
  readonly allOnDevice: boolean;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

function tensorSpec(
  name: string,
  elementType: number,
  shape: readonly (number | string | undefined)[] | undefined,
): TensorSpec {
  return { name, elementType: manifestType(elementType), shape: (shape ?? []).map((d, k) => d ?? `d${k}`) };
}

/**
 * The graph inputs whose element type a target's model changed (WebGPU narrows int64 ids and parameters to
 * int32): the runtime and the SDK convert the caller's values to these.
 */
function feedTypesOf(target: Model, reference: Model): Record<string, ManifestType> {
  const types: Record<string, ManifestType> = {};
  for (const v of target.graph.inputs) {
    const before = reference.graph.inputs.find((r) => r.name === v.name)?.type?.elementType;
    const after = v.type?.elementType;
    if (after !== undefined && before !== undefined && after !== before) types[v.name] = manifestType(after);
  }
  return types;
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
  /** The chain model legalized for WebGPU, when a webgpu chain target asks for it. */
  readonly webgpu?: LegalizedModel;
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
    [relative(base, options.rampFile) || options.rampFile]: sha256(readFileSync(options.rampFile)),
    [relative(base, plan.backbone)]: sha256(readFileSync(plan.backbone)),
  };
  if (plan.head.kind === 'weights' && plan.head.weightsFile)
    sources[relative(base, plan.head.weightsFile)] = sha256(readFileSync(plan.head.weightsFile));
  if (plan.policy.weightsFile)
    sources[relative(base, plan.policy.weightsFile)] = sha256(readFileSync(plan.policy.weightsFile));
  const modelFile = 'model.onnx';
  const decoder = decoderSpec(plan, model, options.layers);
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
      .map((t) => ({
        target: t.target,
        form: t.form === 'segmented' && options.segments ? 'segmented' : 'chain',
        precision: t.precision === 'fp16' && options.fp16 && t.form !== 'segmented' ? 'fp16' : 'fp32',
        ...(t.form === 'segmented' && options.segments
          ? {
              models: options.segments.map((_, k) => segmentFile(k)),
              segments: options.segments.map((s, k) => ({
                model: segmentFile(k),
                exitLayer: s.exitLayer,
                inputs: s.inputs,
                outputs: s.outputs,
                carried: s.carried,
              })),
            }
          : t.target === 'webgpu' && options.webgpu
            ? { models: [webgpuFile], feedTypes: feedTypesOf(options.webgpu.model, model) }
            : {
                models: [
                  t.precision === 'fp16' && options.fp16 && t.form !== 'segmented' ? fp16File : modelFile,
                ],
              }),
        executionProviders: EXECUTION_PROVIDERS[t.target],
        sessionOptions: {},
        placement:
          t.target === 'webgpu' && options.webgpu && t.form !== 'segmented'
            ? { allOnDevice: options.webgpu.allOnDevice, hostNodes: [...options.webgpu.hostNodes] }
            : { allOnDevice: t.target === 'cpu', hostNodes: [] },
      })),
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
    ...(options.webgpu ? [{ path: webgpuFile, contents: options.webgpu.bytes }] : []),
    ...(options.segments ?? []).map((s, k) => ({ path: segmentFile(k), contents: s.bytes })),
    { path: 'manifest.json', contents: `${JSON.stringify(manifest, null, 2)}\n` },
    { path: 'report.md', contents: report },
    ...(options.sdk ? generateSdk(manifest, options.sdk) : []),
  ];
}
