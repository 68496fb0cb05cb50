import { loadRamp } from '../compiler/front-end.js';
import { planFromModel } from '../compiler/plan-from-ast.js';
import { type Diagnostic, diagnostic, hasErrors } from '../diagnostics/index.js';
import { policyOptionsOf } from '../passes/plan.js';
import { SafetensorsWeights } from '../passes/weights.js';
import { type ParameterValues, policySpecs, recordSignals, simulate } from '../policies/index.js';
import { candidateSettings } from './candidates.js';
import { readCalibrationData } from './data.js';
import { cheapestWithin, type Measured, paretoFrontier } from './frontier.js';
import { type LatencyModel, type LatencyOptions, meanCost, measureSegments } from './latency.js';
import { recordHeads } from './record.js';
import { fixedSequenceTest } from './risk-control.js';

export interface CalibrateOptions {
  readonly file: string;
  /**
   * Folder with one `<input>.npy` per model input and, optionally, `labels.npy`; or a JSONL file with one
   * `{"input_ids": [...], "attention_mask": [...]?, "label": n?}` per line (`data.ts`). Default: the
   * model's `calibration { dataset }`.
   */
  readonly data?: string;
  /**
   * Largest accepted quality loss against the full model, absolute (0.01 = one point). Default: the model's
   * `calibration { accuracy_budget }`, else 0.01.
   */
  readonly budget?: number;
  /** Which model of the file (default: the first). */
  readonly model?: string;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Also choose a setting whose loss stays within the budget with probability ≥ 1 − delta (risk control,
   * `risk-control.ts`): e.g. 0.05.
   */
  readonly delta?: number;
  /**
   * Time every segment of the segmented form on this machine and report cost as latency and FLOPs too
   * (`latency.ts`); `false` skips it. Default: 32 examples, 5 passes, 1 thread.
   */
  readonly latency?: LatencyOptions | false;
}

/** The risk-controlled choice: what was tested, and the cheapest setting certified. */
export interface RiskControlResult {
  readonly delta: number;
  readonly epsilon: number;
  /** Examples the tests ran on (the other half fixed the order). */
  readonly tested: number;
  readonly tests: readonly { setting: ParameterValues; losses: number; pValue: number; rejected: boolean }[];
  /** The cheapest certified setting, measured on all examples like the others. */
  readonly chosen?: Measured<ParameterValues>;
}

export interface CalibrationResult {
  readonly diagnostics: Diagnostic[];
  readonly model?: string;
  /** The data and budget used: the options', else the `.ramp` file's `calibration` block's. */
  readonly data?: string;
  readonly budget?: number;
  readonly policy?: string;
  readonly layers?: number;
  readonly examples?: number;
  /** `accuracy` against labels, or `agreement` with the full model's predictions. */
  readonly qualityKind?: 'accuracy' | 'agreement';
  /** Quality of the full model (every sample takes the last exit). */
  readonly reference?: number;
  readonly points: Measured<ParameterValues>[];
  readonly frontier: Measured<ParameterValues>[];
  readonly chosen?: Measured<ParameterValues>;
  /** Per-exit head accuracy (labels) or agreement with the last exit. */
  readonly exitQuality?: readonly number[];
  /** 1-based layers of the exits (the order of `exitQuality`). */
  readonly exitLayers?: readonly number[];
  /** Samples exiting at each layer under the chosen setting. */
  readonly chosenHistogram?: readonly number[];
  readonly recordingMs?: number;
  readonly riskControl?: RiskControlResult;
  /** Per-segment latency and FLOPs measured on this machine; the points' `meanLatencyMs` come from it. */
  readonly latency?: LatencyModel;
  /** Why the latency model is missing, when it was asked for and could not be measured. */
  readonly latencyError?: string;
}

/**
 * Picks policy parameters for an accuracy budget: records every exit's head outputs once, then replays
 * every candidate setting through the policy's own decision code (`simulate`): no recompiling, no rerun.
 */
/**
 * Calibrates `options.model`, or else every model of the file, each with its own policy, in file order: the
 * models of one file usually share a backbone and data, so their trade-offs can be compared on one chart.
 */
export async function calibrateModels(options: CalibrateOptions): Promise<CalibrationResult[]> {
  if (options.model) return [await calibrate(options)];
  const { models, diagnostics } = await loadRamp(options.file);
  if (hasErrors(diagnostics) || models.length <= 1) return [await calibrate(options)];
  const results: CalibrationResult[] = [];
  for (const m of models) results.push(await calibrate({ ...options, model: m.model.name.value }));
  return results;
}

/** The accuracy budget when neither the caller nor the `.ramp` file gives one: one point. */
export const DEFAULT_BUDGET = 0.01;

export async function calibrate(options: CalibrateOptions): Promise<CalibrationResult> {
  const empty = { points: [], frontier: [] };
  const { models, diagnostics } = await loadRamp(options.file);
  if (hasErrors(diagnostics)) return { diagnostics, ...empty };
  const linked = options.model ? models.find((m) => m.model.name.value === options.model) : models[0];
  if (!linked) {
    diagnostics.push(
      diagnostic('OR7003', { file: options.file, reason: `no model named '${options.model}'` }),
    );
    return { diagnostics, ...empty };
  }
  const declared = linked.model.calibration;
  const data = options.data ?? declared?.dataset?.value.resolved;
  const budget = options.budget ?? declared?.accuracyBudget?.value ?? DEFAULT_BUDGET;
  if (data === undefined) {
    diagnostics.push(
      diagnostic(
        'OR7003',
        {
          file: options.file,
          reason: `model '${linked.model.name.value}' has no calibration { dataset: ... }: give the data with --data`,
        },
        { span: linked.model.name.loc },
      ),
    );
    return { diagnostics, ...empty };
  }
  const plan = planFromModel(linked, diagnostics);
  const { arrays, diagnostics: dataProblems } = await readCalibrationData(data);
  diagnostics.push(...dataProblems);
  if (!plan || hasErrors(diagnostics)) return { diagnostics, ...empty };
  const spec = policySpecs[plan.policy.kind];
  let recorded: Awaited<ReturnType<typeof recordHeads>>;
  try {
    recorded = await recordHeads(plan, arrays, {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } catch (error) {
    diagnostics.push(diagnostic('OR7003', { file: data, reason: (error as Error).message }));
    return { diagnostics, ...empty };
  }
  const weights = new SafetensorsWeights();
  const recording = recordSignals({
    spec,
    exitLayers: recorded.exitLayers,
    classes: recorded.classes,
    options: policyOptionsOf(plan.policy),
    heads: recorded.heads,
    ...(plan.policy.weightsPrefix ? { weightsPrefix: plan.policy.weightsPrefix } : {}),
    weight: (key) => (plan.policy.weightsFile ? weights.get(plan.policy.weightsFile, key) : undefined),
  });
  const labels = arrays.get('labels');
  const last = recording.predictions[recording.predictions.length - 1]!;
  const truth = labels ? Array.from(labels.data as ArrayLike<number | bigint>, Number) : Array.from(last);
  const qualityOf = (predictions: ArrayLike<number>) => {
    let right = 0;
    for (let i = 0; i < truth.length; i++) if (predictions[i] === truth[i]) right++;
    return right / truth.length;
  };
  const settings = candidateSettings(spec, recording);
  const simulated = simulate(spec, recording, settings, { minExit: plan.minExit });
  let latency: LatencyModel | undefined;
  let latencyError: string | undefined;
  if (options.latency !== false) {
    try {
      latency = await measureSegments(plan, arrays, options.latency ?? {});
    } catch (error) {
      latencyError = (error as Error).message;
    }
  }
  const points = simulated.map((r): Measured<ParameterValues> => {
    const cost = latency ? meanCost(latency, r.exitLayer) : undefined;
    return {
      setting: r.parameters,
      quality: qualityOf(r.prediction),
      meanExitLayer: r.exitLayer.reduce((a, b) => a + b, 0) / r.exitLayer.length,
      ...(cost ? { meanLatencyMs: cost.ms, meanFlops: cost.flops } : {}),
    };
  });
  const reference = qualityOf(last);
  const frontier = paretoFrontier(points);
  const chosen = cheapestWithin(points, reference, budget);
  const chosenRun = chosen ? simulated[points.indexOf(chosen)] : undefined;
  let riskControl: RiskControlResult | undefined;
  if (options.delta !== undefined) {
    // Loss 1 where the full model's outcome is lost: its right answer (labels) or its prediction (no labels).
    const fullRight = truth.map((t, i) => last[i] === t);
    const lossOf = (prediction: ArrayLike<number>, i: number) =>
      labels ? (fullRight[i] && prediction[i] !== truth[i] ? 1 : 0) : prediction[i] !== last[i] ? 1 : 0;
    const even = truth.map((_, i) => i).filter((i) => i % 2 === 0);
    const odd = truth.map((_, i) => i).filter((i) => i % 2 === 1);
    const candidates = simulated.map((r, k) => ({
      setting: k,
      orderingCost: even.reduce((a, i) => a + r.exitLayer[i]!, 0) / Math.max(1, even.length),
      losses: odd.map((i) => lossOf(r.prediction, i)),
    }));
    const { tests, chosen: certified } = fixedSequenceTest(candidates, budget, options.delta);
    riskControl = {
      delta: options.delta,
      epsilon: budget,
      tested: odd.length,
      tests: tests.map((t) => ({
        setting: points[t.setting]!.setting,
        losses: t.losses,
        pValue: t.pValue,
        rejected: t.rejected,
      })),
      ...(certified !== undefined ? { chosen: points[tests[certified]!.setting]! } : {}),
    };
  }
  const exitHistogram = Array.from({ length: linked.layers.count }, () => 0);
  for (const layer of chosenRun?.exitLayer ?? []) exitHistogram[layer - 1]! += 1;
  return {
    diagnostics,
    model: plan.name,
    data,
    budget,
    policy: spec.kind,
    layers: linked.layers.count,
    examples: recorded.examples,
    qualityKind: labels ? 'accuracy' : 'agreement',
    reference,
    points,
    frontier,
    ...(chosen ? { chosen } : {}),
    exitQuality: recording.predictions.map(qualityOf),
    exitLayers: recorded.exitLayers,
    ...(chosenRun ? { chosenHistogram: exitHistogram } : {}),
    recordingMs: recorded.wallMs,
    ...(riskControl ? { riskControl } : {}),
    ...(latency ? { latency } : {}),
    ...(latencyError ? { latencyError } : {}),
  };
}
