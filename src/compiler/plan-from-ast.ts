import { type Diagnostic, diagnostic, type SourceSpan } from '../diagnostics/index.js';
import type { LinkedModel } from '../link/index.js';
import type { CheckedModel, DecodeDecl, ExitSelection, PolicyModule } from '../parser/ast.js';
import { classifierComponent, weightKeys } from '../parser/index.js';
import type { ClassifierPlan, CompilePlan, DecoderPlan, HeadPlan, PolicyPlan } from '../passes/plan.js';
import { policySpecs } from '../policies/index.js';

const unsupported = (what: string, span: SourceSpan) => diagnostic('OR5002', { what }, { span });

/** Resolves the exit selection against the backbone's layer count; exits past the last layer are errors. */
export function resolveExits(selection: ExitSelection, layers: number, diagnostics: Diagnostic[]): number[] {
  let exits: number[];
  switch (selection.kind) {
    case 'ExitAll':
      exits = Array.from({ length: layers }, (_, k) => k + 1);
      break;
    case 'ExitEvery':
      exits = [];
      for (let l = selection.step.value; l <= layers; l += selection.step.value) exits.push(l);
      break;
    case 'ExitRange':
      exits = [];
      for (let l = selection.from.value; l <= selection.to.value; l++) exits.push(l);
      break;
    case 'ExitList':
      exits = selection.layers.map((n) => n.value);
      break;
  }
  for (const layer of exits) {
    if (layer > layers) diagnostics.push(diagnostic('OR3005', { layer, layers }, { span: selection.loc }));
  }
  return [...new Set(exits)].filter((l) => l >= 1 && l <= layers).sort((a, b) => a - b);
}

function moduleWeights(module: PolicyModule | undefined): { file?: string; prefix?: string } {
  const w = module?.weights;
  return w ? { file: w.file.resolved, ...(w.keys[0] ? { prefix: w.keys[0].template.value } : {}) } : {};
}

/** Holds each run-time parameter to the range its policy specification declares. */
function checkParameterRanges(policy: PolicyPlan, model: CheckedModel, diagnostics: Diagnostic[]): void {
  const spec = policySpecs[policy.kind];
  for (const decl of spec.parameters) {
    const given = policy.parameters[decl.name];
    if (given === undefined) continue;
    for (const value of typeof given === 'number' ? [given] : given) checkOne(decl, value);
  }
  function checkOne(decl: (typeof spec.parameters)[number], value: number): void {
    const low = decl.minimum;
    const high = decl.maximum;
    const bad =
      (decl.integer && !Number.isInteger(value)) ||
      (low !== undefined && (decl.exclusive ? value <= low : value < low)) ||
      (high !== undefined && (decl.exclusive ? value >= high : value > high));
    if (!bad) return;
    const range = decl.integer
      ? `a whole number of at least ${low ?? 0}`
      : high !== undefined
        ? `${decl.exclusive ? 'strictly ' : ''}between ${low ?? 0} and ${high}`
        : `at least ${low ?? 0}`;
    const param = model.policy.params.find((p) => p.name === decl.name);
    diagnostics.push(
      diagnostic(
        'OR5005',
        { name: decl.name, policy: policy.kind, range, value },
        { span: param?.value.loc ?? model.policy.loc },
      ),
    );
  }
}

/** Lowers a checked `.ramp` model to the plan the passes run on, reporting what the compiler cannot do yet. */
export function planFromModel(linked: LinkedModel, diagnostics: Diagnostic[]): CompilePlan | undefined {
  const model = linked.model;
  const before = diagnostics.length;
  const layers = model.backbone.layers?.spec;
  if (layers?.kind === 'CutLayers')
    diagnostics.push(unsupported('explicit cut tensors (use a name pattern or auto)', layers.loc));
  const exits = [...linked.exitLayers];

  const p = model.policy;
  let head: HeadPlan | undefined;
  const e = model.exits;
  if (e.fromOutputs) {
    head = { kind: 'outputs', outputTemplate: e.fromOutputs.value };
  } else if (p.name === 'mamba' && !e.head) {
    // DYNAMAX: the exit head is the policy's Mamba block, which reads the layer's whole sequence.
    const w = moduleWeights(p.head);
    if (e.pool && e.pool.mode !== 'none')
      diagnostics.push(
        unsupported(
          `pool ${e.pool.mode} before a Mamba head (it reads the whole sequence; use pool none)`,
          e.pool.loc,
        ),
      );
    if (w.file && w.prefix)
      head = {
        kind: 'weights',
        pool: 'none',
        classifier: { kind: 'mamba', key: w.prefix },
        weightsFile: w.file,
      };
  } else {
    const classifier = e.head?.classifier;
    const isMamba = classifier?.kind === 'MambaHead';
    const pool = e.pool?.mode ?? (isMamba ? 'none' : 'cls');
    if (pool === 'none' && !isMamba)
      diagnostics.push(unsupported('pool none (a classifier head needs one vector per sample)', e.pool!.loc));
    if (pool !== 'none' && isMamba)
      diagnostics.push(
        unsupported(
          `pool ${pool} before a Mamba head (it reads the whole sequence; use pool none)`,
          e.pool!.loc,
        ),
      );
    const keys = e.weights && e.head ? weightKeys(e.weights, e.head) : undefined;
    const component = classifier ? classifierComponent(classifier) : undefined;
    const classifierKey = component ? keys?.get(component)?.value : undefined;
    const poolerKey = e.head?.pooler ? keys?.get('pooler')?.value : undefined;
    const norm = e.head?.norm;
    const normKey = norm ? keys?.get(norm.norm)?.value : undefined;
    const plannedClassifier = ((): ClassifierPlan | undefined => {
      if (classifier?.kind === 'LmHead') return { kind: 'lm_head' };
      if (!classifierKey) return undefined;
      if (classifier?.kind === 'MlpHead')
        return {
          kind: 'mlp',
          key: classifierKey,
          blocks: classifier.layers?.value ?? 1,
          activation: classifier.activation?.value ?? 'gelu',
        };
      return { kind: isMamba ? 'mamba' : 'linear', key: classifierKey };
    })();
    if (plannedClassifier && (!norm || normKey) && !diagnostics.slice(before).length) {
      head = {
        kind: 'weights',
        pool,
        classifier: plannedClassifier,
        ...(e.weights ? { weightsFile: e.weights.file.resolved } : {}),
        ...(poolerKey ? { pooler: poolerKey } : {}),
        ...(norm && normKey ? { norm: { kind: norm.norm, key: normKey } } : {}),
      };
    }
  }

  const parameters: Record<string, number | readonly number[]> = {};
  let policy: PolicyPlan | undefined;
  switch (p.name) {
    case 'pabee':
      if (p.patience) parameters.patience = p.patience.value;
      if (p.regressionThreshold)
        diagnostics.push(unsupported('PABEE for regression heads', p.regressionThreshold.loc));
      policy = { kind: 'pabee', parameters };
      break;
    case 'qexit':
    case 'pondernet': {
      if (p.name === 'qexit' && p.q) parameters.q = p.q.value;
      const arch = p.lambda?.architecture;
      const blocks = arch?.kind === 'MlpHead' ? (arch.layers?.value ?? 1) : undefined;
      const w = moduleWeights(p.lambda);
      policy = {
        kind: p.name,
        parameters,
        ...(w.file ? { weightsFile: w.file } : {}),
        ...(w.prefix ? { weightsPrefix: w.prefix } : {}),
        ...(blocks !== undefined ? { lambdaBlocks: blocks } : {}),
      };
      break;
    }
    case 'jei': {
      if (p.threshold) parameters.threshold = p.threshold.value;
      const w = moduleWeights(p.gates);
      policy = {
        kind: 'jei',
        parameters,
        ...(w.file ? { weightsFile: w.file } : {}),
        ...(w.prefix ? { weightsPrefix: w.prefix } : {}),
      };
      break;
    }
    case 'maxprob':
    case 'margin':
      if (p.threshold) parameters.threshold = p.threshold.value;
      policy = { kind: p.name, parameters };
      break;
    case 'entropy':
      if (p.threshold) parameters.threshold = p.threshold.value;
      if (p.thresholds) {
        if (p.thresholds.value.length !== exits.length) {
          diagnostics.push(
            diagnostic(
              'OR5006',
              { given: p.thresholds.value.length, exits: exits.length },
              { span: p.thresholds.valueLoc },
            ),
          );
        }
        parameters.threshold = [...p.thresholds.value];
      }
      policy = {
        kind: 'entropy',
        parameters,
        ...(p.normalized ? { normalizedEntropy: p.normalized.value } : {}),
      };
      break;
    case 'learned': {
      if (p.threshold) parameters.threshold = p.threshold.value;
      const w = moduleWeights(p.classifier);
      policy = {
        kind: 'learned',
        parameters,
        ...(p.classifier?.architecture?.kind === 'MambaHead' ? { classifier: 'mamba' as const } : {}),
        ...(w.file ? { weightsFile: w.file } : {}),
        ...(w.prefix ? { weightsPrefix: w.prefix } : {}),
      };
      break;
    }
    case 'mamba':
      if (p.threshold) parameters.threshold = p.threshold.value;
      policy = { kind: 'mamba', parameters, measure: p.confidence?.value ?? 'maxprob' };
      break;
  }
  if (policy) checkParameterRanges(policy, model, diagnostics);
  const decode = model.decode;
  const mambaClassifier = p.name === 'learned' && p.classifier?.architecture?.kind === 'MambaHead';
  const cache = decode?.cache?.value ?? 'copy';
  if (decode && mambaClassifier && cache !== 'keep' && cache !== 'update')
    diagnostics.push(
      unsupported(
        `a Mamba confidence classifier with cache: ${cache} (its own state follows the skipped blocks' rule; use a Mamba backbone with cache: keep or update)`,
        decode.cache?.valueLoc ?? decode.loc,
      ),
    );
  for (const t of model.targets)
    if (decode && t.form?.value === 'segmented')
      diagnostics.push(unsupported('the segmented form of a decoder step (use chain)', t.form.valueLoc));
  if (diagnostics.length > before || !head || !policy) return undefined;
  return {
    name: model.name.value,
    backbone: model.backbone.path.resolved,
    ...(layers?.kind === 'PatternLayers' ? { layerPattern: layers.pattern.value } : {}),
    exits,
    head,
    policy,
    minExit: p.minExit?.value ?? 1,
    ...(model.decode
      ? {
          decoder: decoderPlan(model.decode),
        }
      : {}),
  };
}

/** The decode block with its defaults: GPT-2's cache names for key/value caches, `past_*.{i}` for states. */
function decoderPlan(decode: DecodeDecl): DecoderPlan {
  const cache = decode.cache?.value ?? 'copy';
  const recurrent = cache === 'keep' || cache === 'update';
  return {
    cache,
    past: decode.past?.value ?? (recurrent ? 'past_*.{i}' : 'past_key_values.{i}.'),
    present: decode.present?.value ?? (recurrent ? 'present_*.{i}' : 'present.{i}.'),
  };
}
