import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { type BatchValue, compactRows, planCompaction, ScratchPool } from './compaction.js';
import type { ArtifactTarget, Manifest, ParameterSpec, SegmentSpec } from './manifest.js';
import type { ExitOutputs, LoadOptions, RunOptions } from './node-session.js';
import { asFeedType, parameterFeed, toOrtTensor } from './node-session.js';
import { type CallTelemetry, TelemetryRecorder, type TelemetrySummary } from './telemetry.js';
import type { HostTensor } from './tensors.js';

/** What the driver does around one segment, worked out once at load. */
interface SegmentPlan {
  readonly spec: SegmentSpec;
  /** Graph inputs that are policy parameters (fed the call's parameter tensors, never compacted). */
  readonly parameters: readonly string[];
  /** Graph inputs that are batch-major values (model inputs, or what an earlier segment handed on). */
  readonly values: readonly string[];
  /** Batch-major values a later segment still reads: carried on, and compacted, after this segment. */
  readonly live: readonly string[];
  /** Values held before this segment that no later segment reads: dropped after it. */
  readonly dead: readonly string[];
  /** Element types to convert feeds to (the target's `feedTypes`), when any of this segment's differ. */
  readonly feedTypes?: Readonly<Record<string, string>>;
}

/**
 * Drives a segmented artifact: runs segment by segment and, between segments, drops the samples that have
 * exited, so the rest of the batch no longer waits for (or pays for) them. Results come back in the
 * caller's order, identical to the chain form's.
 *
 * The driver's own work between two segments is kept small (issue #7: under 50 µs per exit check on the
 * fixture): the wiring is planned at load, default parameters are built once, exited rows are filled by
 * moving rows from the end of the batch (only as many rows move as exited below the new batch size; the
 * segments' own outputs are compacted in place, the caller's inputs into reused scratch buffers), and a
 * value's tensor is only re-made when the batch shrank.
 */
export class SegmentedModel {
  private readonly telemetry: TelemetryRecorder;
  private readonly plans: readonly SegmentPlan[];
  private readonly defaults: ReadonlyMap<string, ort.Tensor>;
  private readonly scratch = new ScratchPool();
  private lastParams?: {
    readonly values: Readonly<Record<string, number | readonly number[] | undefined>>;
    readonly tensors: ReadonlyMap<string, ort.Tensor>;
  };

  private constructor(
    readonly manifest: Manifest,
    readonly target: ArtifactTarget,
    private readonly sessions: ort.InferenceSession[],
  ) {
    this.telemetry = new TelemetryRecorder(manifest.layers);
    const parameterInputs = new Set(manifest.policy.parameters.map((p) => p.input));
    const segments = target.segments!;
    let held = manifest.inputs.map((i) => i.name);
    this.plans = segments.map((spec, k) => {
      const later = new Set(segments.slice(k + 1).flatMap((s) => s.inputs));
      const live = [...later].filter((name) => !parameterInputs.has(name));
      const dead = held.filter((name) => !later.has(name));
      held = live;
      const types = Object.fromEntries(
        spec.inputs.flatMap((name) => (target.feedTypes?.[name] ? [[name, target.feedTypes[name]]] : [])),
      );
      return {
        spec,
        parameters: spec.inputs.filter((name) => parameterInputs.has(name)),
        values: spec.inputs.filter((name) => !parameterInputs.has(name)),
        live,
        dead,
        ...(Object.keys(types).length > 0 ? { feedTypes: types } : {}),
      };
    });
    this.defaults = new Map(
      manifest.policy.parameters.map((p) => [p.input, this.parameterTensor(p, p.default)]),
    );
  }

  static async load(artifactDir: string, options: LoadOptions = {}): Promise<SegmentedModel> {
    const manifest = JSON.parse(await readFile(join(artifactDir, 'manifest.json'), 'utf8')) as Manifest;
    const wanted = options.target ?? 'cpu';
    const target = manifest.targets.find((t) => t.target === wanted && t.form === 'segmented' && t.segments);
    if (!target) throw new Error(`artifact ${artifactDir} has no segmented '${wanted}' target`);
    const sessions = await Promise.all(
      target.segments!.map((s) =>
        ort.InferenceSession.create(join(artifactDir, s.model), {
          executionProviders: [...(options.executionProviders ?? target.executionProviders)] as string[],
          logSeverityLevel: 3,
          ...(options.intraOpNumThreads !== undefined
            ? { intraOpNumThreads: options.intraOpNumThreads }
            : {}),
          ...(options.sessionConfig ? { extra: { session: options.sessionConfig } } : {}),
        } as ort.InferenceSession.SessionOptions),
      ),
    );
    return new SegmentedModel(manifest, target, sessions);
  }

  /**
   * The parameter feeds for a call's overrides. The tensors of the last call's values are reused (the
   * common case: one setting for many batches); onnxruntime does not write to its inputs.
   */
  private parameterTensors(params: NonNullable<RunOptions['params']>): ReadonlyMap<string, ort.Tensor> {
    let same = this.lastParams !== undefined;
    for (const spec of this.manifest.policy.parameters)
      if (!sameValue(params[spec.name], this.lastParams?.values[spec.name])) same = false;
    if (same) return this.lastParams!.tensors;
    const tensors = new Map(this.defaults);
    const values: Record<string, number | readonly number[] | undefined> = {};
    for (const spec of this.manifest.policy.parameters) {
      const value = params[spec.name];
      values[spec.name] = Array.isArray(value) ? [...value] : value;
      if (value !== undefined) tensors.set(spec.input, this.parameterTensor(spec, value));
    }
    this.lastParams = { values, tensors };
    return tensors;
  }

  /** A parameter's feed in the element type the target's segments take it. */
  private parameterTensor(spec: ParameterSpec, value: number | readonly number[]): ort.Tensor {
    return asFeedType(parameterFeed(spec, value), this.target.feedTypes?.[spec.input]);
  }

  async run(inputs: Readonly<Record<string, HostTensor>>, options: RunOptions = {}): Promise<ExitOutputs> {
    const started = performance.now();
    const parameters = options.params ? this.parameterTensors(options.params) : this.defaults;
    // Batch-major values by name; rows [0, rows) are live. The caller's inputs are never written to.
    const values = new Map<string, BatchValue>();
    for (const spec of this.manifest.inputs) {
      const given = inputs[spec.name];
      if (!given) throw new Error(`missing input '${spec.name}'`);
      values.set(spec.name, { tensor: toOrtTensor(given), owned: false });
    }
    const batch = values.get(this.manifest.inputs[0]!.name)!.tensor.dims[0]!;
    const scratch = this.scratch.take();
    // sample[row]: which of the caller's samples sits in batch row `row` now.
    const sample = new Int32Array(batch);
    for (let i = 0; i < batch; i++) sample[i] = i;
    const gone = new Uint8Array(batch);
    let rows = batch;
    let classes = 0;
    let logits = new Float32Array(0);
    const exitLayer = new Int32Array(batch);
    const confidence = new Float32Array(batch);
    let deepest = 0;
    let modelMs = 0;
    let checks = 0;
    const last = this.plans.length - 1;
    for (let k = 0; k <= last; k++) {
      const plan = this.plans[k]!;
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of plan.parameters) feeds[name] = parameters.get(name)!;
      for (const name of plan.values) {
        const tensor = values.get(name)!.tensor;
        feeds[name] = plan.feedTypes ? asFeedType(tensor, plan.feedTypes[name]) : tensor;
      }
      const began = performance.now();
      const out = await this.sessions[k]!.run(feeds);
      modelMs += performance.now() - began;
      checks += 1;
      deepest = plan.spec.exitLayer;
      const carried = plan.spec.carried;
      const rowLogits = out[carried.logits]!;
      if (classes === 0) {
        classes = rowLogits.dims[1]!;
        logits = new Float32Array(batch * classes);
      }
      const logitData = rowLogits.data as Float32Array;
      const layerData = out[carried.layer]!.data as ArrayLike<bigint | number>;
      const confidenceData = out[carried.confidence]!.data as Float32Array;
      const exited = out[carried.exited]!.data as Uint8Array;
      let leaving = 0;
      for (let row = 0; row < rows; row++) {
        if (k !== last && !exited[row]) {
          gone[row] = 0;
          continue;
        }
        const s = sample[row]!;
        gone[row] = 1;
        leaving++;
        for (let c = 0; c < classes; c++) logits[s * classes + c] = logitData[row * classes + c]!;
        exitLayer[s] = Number(layerData[row]);
        confidence[s] = confidenceData[row]!;
      }
      if (leaving === rows || k === last) break;
      // Carry on what later segments read: this segment's outputs replace older values of the same name.
      for (const name of plan.live) {
        const produced = out[name];
        if (produced) values.set(name, { tensor: produced, owned: true });
      }
      for (const name of plan.dead) values.delete(name);
      if (leaving === 0) continue;
      const moves = planCompaction(gone, rows, sample);
      rows -= leaving;
      for (const [name, value] of values) compactRows(name, value, moves, rows, scratch);
    }
    this.scratch.give(scratch);
    const telemetry: CallTelemetry = {
      exitLayers: Array.from(exitLayer),
      layersExecuted: deepest,
      wallMs: performance.now() - started,
      modelMs,
      checks,
    };
    this.telemetry.record(telemetry);
    const predictions = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[b * classes + c]! > logits[b * classes + best]!) best = c;
      predictions[b] = best;
    }
    return { batch, classes, logits, predictions, exitLayer, confidence, telemetry };
  }

  stats(): TelemetrySummary {
    return this.telemetry.summary();
  }

  async release(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.release()));
  }
}

function sameValue(
  a: number | readonly number[] | undefined,
  b: number | readonly number[] | undefined,
): boolean {
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
