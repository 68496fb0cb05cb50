import { type Diagnostic, hasErrors, type SourceSpan } from '../diagnostics/index.js';
import { allGraphs, importModel, inferShapes, type Model, type TensorType, writeModel } from '../ir/index.js';
import type { SegmentModel } from '../passes/split-segments.js';
import type { ArtifactTarget } from '../runtime/manifest.js';
import {
  legalizeForTarget,
  loadBuiltinProfile,
  type TargetName,
  type TargetProfile,
} from '../targets/index.js';
import type { LegalizedModel, TargetModels, TargetRequest } from './artifact.js';

/** The profile each `.ramp` target is legalized for; `cpu` has none: its artifact is the compiled model. */
const PROFILES: Readonly<Record<ArtifactTarget['target'], TargetName | undefined>> = {
  cpu: undefined,
  cuda: 'cuda',
  webgpu: 'webgpu-native',
};

/** Passes that only restate the model (ORT does the same at load): on their own they need no new file. */
const RESTATING = new Set(['constants-to-initializers']);

interface Source {
  readonly bytes: Uint8Array;
  readonly file: string;
}

/**
 * Legalizes one model for a profile, on a fresh import of its bytes (so no target sees another's rewrites).
 * Returns the legalized model under `file` when a pass changed it, else the source under its own name.
 */
function legalizeOne(
  source: Source,
  file: string,
  profile: TargetProfile,
  backbone: string,
  span: SourceSpan,
  diagnostics: Diagnostic[],
  shapes?: ReadonlyMap<string, TensorType>,
): LegalizedModel | undefined {
  const model = importModel(source.bytes, backbone).model!;
  // A segment's inputs carry the element type only: give them the shapes the unsplit model has, so shape
  // arithmetic inside the segment can be folded like in the chain form.
  for (const v of model.graph.inputs) {
    const known = shapes?.get(v.name);
    if (!v.type?.shape && known?.shape && known.elementType === v.type?.elementType) v.type = known;
  }
  const result = legalizeForTarget(model, profile, backbone);
  diagnostics.push(...result.diagnostics.map((d) => (d.span ? d : { ...d, span })));
  if (hasErrors(result.diagnostics)) return undefined;
  const changed = result.passes.some((p) => !RESTATING.has(p));
  const allOnDevice = result.diagnostics.length === 0 && result.hostNodes.length === 0;
  if (!changed) {
    const original = importModel(source.bytes, backbone).model!;
    return {
      file: source.file,
      bytes: source.bytes,
      model: original,
      hostNodes: result.hostNodes,
      allOnDevice,
    };
  }
  return { file, bytes: writeModel(model), model, hostNodes: result.hostNodes, allOnDevice };
}

/**
 * Each declared target's models after that target's legalization passes (`src/targets/legalize`), checked
 * against its profile: OR6xxx diagnostics (at the profile's severity) name every node that would still
 * leave the device, at the target's line. The chain model, its fp16 variant and the segment models are
 * re-imported from their bytes for every target, so the CPU artifact stays byte for byte what the passes
 * produced. `undefined` when a target cannot be legalized (the errors are in `diagnostics`).
 */
export async function legalizeTargets(options: {
  readonly targets: readonly TargetRequest[];
  readonly spans: ReadonlyMap<ArtifactTarget['target'], SourceSpan>;
  readonly backbone: string;
  readonly chain: Source;
  readonly fp16?: Source;
  readonly segments?: readonly (SegmentModel & { readonly file: string })[];
  /** The model the segments were cut from (its inferred shapes type the segments' inputs). */
  readonly unsplit?: Uint8Array;
  readonly diagnostics: Diagnostic[];
}): Promise<Partial<Record<ArtifactTarget['target'], TargetModels>> | undefined> {
  const out: Partial<Record<ArtifactTarget['target'], TargetModels>> = {};
  let failed = false;
  let shapes: Map<string, TensorType> | undefined;
  for (const t of options.targets) {
    const profileName = PROFILES[t.target];
    if (!profileName || out[t.target]) continue;
    const profile = await loadBuiltinProfile(profileName);
    const span = options.spans.get(t.target)!;
    const fp16 = t.precision === 'fp16' && options.fp16 !== undefined;
    const source = fp16 ? options.fp16! : options.chain;
    const chain = legalizeOne(
      source,
      `model.${t.target}${fp16 ? '.fp16' : ''}.onnx`,
      profile,
      options.backbone,
      span,
      options.diagnostics,
    );
    if (t.form === 'segmented' && options.segments && options.unsplit)
      shapes ??= inferredShapes(importModel(options.unsplit, options.backbone).model!);
    const segments =
      t.form === 'segmented' && options.segments
        ? options.segments.map((s, k) =>
            legalizeOne(
              { bytes: s.bytes, file: s.file },
              `segment-${k + 1}.${t.target}.onnx`,
              profile,
              options.backbone,
              span,
              options.diagnostics,
              shapes,
            ),
          )
        : undefined;
    if (!chain || segments?.some((s) => !s)) {
      failed = true;
      continue;
    }
    const extra = profile.sessionOptions.extra;
    out[t.target] = {
      chain,
      ...(segments ? { segments: segments as LegalizedModel[] } : {}),
      // The EP options the placement holds for (CPU fallback disabled): a fallback then fails the load.
      ...(extra ? { sessionOptions: { extra } } : {}),
    };
  }
  return failed ? undefined : out;
}

/** Every value of `model` whose shape inference knows, by name. */
function inferredShapes(model: Model): Map<string, TensorType> {
  inferShapes(model.graph, { opset: model.opset('') ?? 17 });
  const shapes = new Map<string, TensorType>();
  for (const graph of allGraphs(model.graph))
    for (const node of graph.nodes)
      for (const v of node.outputs) if (v.type?.shape) shapes.set(v.name, v.type);
  return shapes;
}
