import { resolve } from 'node:path';
import { defaultClassName } from '../codegen/index.js';
import { type Diagnostic, diagnostic, hasErrors } from '../diagnostics/index.js';
import { copyFileAtomic, isSamePath, writeFileAtomic } from '../io/index.js';
import {
  allGraphs,
  type ExternalFile,
  externalFilesOf,
  importModel,
  verifyModel,
  writeModel,
} from '../ir/index.js';
import type { LinkedModel } from '../link/index.js';
import type { CheckedModel } from '../parser/ast.js';
import { convertFp16 } from '../passes/convert-fp16.js';
import { type PipelineOptions, runChainPipeline } from '../passes/pipeline.js';
import { type SegmentModel, splitSegments } from '../passes/split-segments.js';
import { artifactFiles, type GeneratedFile, type TargetRequest } from './artifact.js';
import { loadRamp } from './front-end.js';
import { legalizeTargets } from './legalize-targets.js';
import { planFromModel } from './plan-from-ast.js';

export interface CompileOptions {
  /** The `.ramp` file (its directory anchors relative paths). */
  readonly file: string;
  /** Source text to use instead of reading `file` (editors, tests). */
  readonly source?: string;
  /** Each model is written to `outDir/<model name>/`. */
  readonly outDir: string;
  /** Restrict to these targets (default: the targets the file declares). */
  readonly targets?: readonly TargetRequest['target'][];
  /** Verify the IR after every pass. */
  readonly debug?: boolean;
  readonly printIrAfter?: PipelineOptions['printIrAfter'];
  /** Log each pass's time (through `log`). */
  readonly timing?: boolean;
  readonly log?: (text: string) => void;
  /** Compute everything but write nothing. */
  readonly dryRun?: boolean;
}

export interface CompiledArtifact {
  readonly name: string;
  readonly directory: string;
  readonly files: readonly GeneratedFile[];
  /**
   * The backbone's external-data files the compiled models still read (by the same relative locations):
   * copied into the artifact directory as they are, so the artifact is self-contained.
   */
  readonly weightFiles: readonly ExternalFile[];
  /** Absolute paths of the files it was built from: the `.ramp` file, the backbone, weights (what `--watch` watches). */
  readonly inputs: readonly string[];
}

export interface CompileResult {
  readonly diagnostics: Diagnostic[];
  readonly artifacts: CompiledArtifact[];
}

/** Every file the user gave, which no output may ever replace. */
function inputsOf(model: CheckedModel, file: string): string[] {
  const paths = [file, model.backbone.path.resolved];
  if (model.exits.weights) paths.push(model.exits.weights.file.resolved);
  for (const p of model.policy.params) if (p.value.kind === 'Weights') paths.push(p.value.file.resolved);
  return paths;
}

async function compileModel(
  linked: LinkedModel,
  options: CompileOptions,
  diagnostics: Diagnostic[],
): Promise<CompiledArtifact | undefined> {
  const model = linked.model;
  const plan = planFromModel(linked, diagnostics);
  if (!plan) return undefined;
  const pipeline = await runChainPipeline(plan, {
    verifyEach: options.debug ?? false,
    // With --debug, a pass that throws or breaks the IR leaves a reproducer (input model + pipeline).
    ...(options.debug ? { reproducerDir: resolve(options.outDir, '.offramp-reproducer', plan.name) } : {}),
    ...(options.printIrAfter ? { printIrAfter: options.printIrAfter } : {}),
    ...(options.timing ? { timing: true } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  // Errors from the passes point at the model; attach the `.ramp` span of the model for the code frame.
  diagnostics.push(
    ...pipeline.diagnostics.map((d) =>
      d.span
        ? d
        : {
            ...d,
            related: [
              ...d.related,
              { message: `while compiling model '${plan.name}'`, span: model.name.loc },
            ],
          },
    ),
  );
  if (!pipeline.model || !pipeline.bytes || hasErrors(pipeline.diagnostics)) return undefined;
  const declared =
    model.targets.length > 0
      ? model.targets.map((t) => ({
          target: t.name,
          form: t.form?.value ?? 'chain',
          precision: t.precision?.value ?? (t.name === 'cuda' ? 'fp16' : 'fp32'),
        }))
      : [{ target: 'cpu' as const, form: 'chain' as const, precision: 'fp32' as const }];
  const targets = declared.filter((t) => !options.targets || options.targets.includes(t.target));
  let fp16: Uint8Array | undefined;
  if (targets.some((t) => t.precision === 'fp16')) {
    // Convert a fresh copy: the fp32 chain model stays as it is for the other targets.
    const copy = importModel(pipeline.bytes, plan.backbone).model!;
    convertFp16.run(copy, undefined as never);
    const problems = verifyModel(copy, `${plan.backbone} (after convert-fp16)`);
    diagnostics.push(...problems);
    if (problems.length > 0) return undefined;
    fp16 = writeModel(copy);
  }
  let segments: SegmentModel[] | undefined;
  let unsplit: Uint8Array | undefined;
  if (targets.some((t) => t.form === 'segmented')) {
    const flat = await runChainPipeline(plan, { stopAfter: 'insert-policy' });
    unsplit = flat.bytes;
    if (flat.model && flat.hiddenInput) segments = splitSegments(flat.model, flat.exits, flat.hiddenInput);
  }
  // Each target's artifact is the compiled model after that target's legalization passes.
  const legalized = await legalizeTargets({
    targets,
    spans: new Map(model.targets.map((t) => [t.name, t.loc])),
    backbone: plan.backbone,
    chain: { bytes: pipeline.bytes, file: 'model.onnx' },
    ...(fp16 ? { fp16: { bytes: fp16, file: 'model.fp16.onnx' } } : {}),
    ...(segments ? { segments: segments.map((s, k) => ({ ...s, file: `segment-${k + 1}.onnx` })) } : {}),
    ...(unsplit ? { unsplit } : {}),
    diagnostics,
  });
  if (!legalized) return undefined;
  const directory = resolve(options.outDir, plan.name);
  const files = artifactFiles({
    plan,
    model: pipeline.model,
    bytes: pipeline.bytes,
    layers: pipeline.layers,
    exits: pipeline.exits.map((e) => e.layer),
    targets,
    rampFile: resolve(options.file),
    statistics: pipeline.statistics,
    ...(segments ? { segments } : {}),
    ...(fp16 ? { fp16 } : {}),
    legalized,
    ...(model.sdk
      ? {
          sdk: {
            runtime: model.sdk.runtime?.value ?? 'node',
            className: model.sdk.name?.value ?? defaultClassName(plan.name),
          },
        }
      : {}),
  });
  const weightFiles = externalFilesOf(
    [...allGraphs(pipeline.model.graph)].flatMap((g) => [...g.initializers.values()]),
  );
  const protectedPaths = [...inputsOf(model, options.file), ...weightFiles.map((w) => w.path)];
  for (const f of [...files, ...weightFiles.map((w) => ({ path: w.location }))]) {
    const path = resolve(directory, f.path);
    if (isSamePath(path, protectedPaths)) {
      diagnostics.push(diagnostic('OR7002', { file: path }, { span: model.name.loc }));
      return undefined;
    }
  }
  return { name: plan.name, directory, files, weightFiles, inputs: protectedPaths.map((p) => resolve(p)) };
}

/**
 * The programmatic API: compiles every model of a `.ramp` file. Never exits the process and never throws
 * for user errors; nothing is written unless every model compiled.
 */
export async function compile(options: CompileOptions): Promise<CompileResult> {
  const { models, diagnostics } = await loadRamp(options.file, options.source);
  const artifacts: CompiledArtifact[] = [];
  for (const linked of models) {
    const artifact = await compileModel(linked, options, diagnostics);
    if (artifact) artifacts.push(artifact);
  }
  if (hasErrors(diagnostics)) return { diagnostics, artifacts: [] };
  if (!options.dryRun) {
    for (const a of artifacts) {
      // Weights first: a model file never appears before the side files it reads.
      for (const w of a.weightFiles) await copyFileAtomic(w.path, resolve(a.directory, w.location));
      for (const f of a.files) await writeFileAtomic(resolve(a.directory, f.path), f.contents);
    }
  }
  return { diagnostics, artifacts };
}
