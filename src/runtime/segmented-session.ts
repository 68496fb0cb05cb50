import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { takeRows } from './compaction.js';
import type { ArtifactTarget, Manifest, SegmentSpec } from './manifest.js';
import type { ExitOutputs, LoadOptions, RunOptions } from './node-session.js';
import { parameterFeed, toOrtTensor } from './node-session.js';
import { type CallTelemetry, TelemetryRecorder, type TelemetrySummary } from './telemetry.js';
import type { HostTensor } from './tensors.js';

/**
 * Drives a segmented artifact: runs segment by segment and, between segments, drops the samples that have
 * exited, so the rest of the batch no longer waits for (or pays for) them. Results come back in the
 * caller's order, identical to the chain form's.
 */
export class SegmentedModel {
  private readonly telemetry: TelemetryRecorder;

  private constructor(
    readonly manifest: Manifest,
    readonly target: ArtifactTarget,
    private readonly sessions: ort.InferenceSession[],
  ) {
    this.telemetry = new TelemetryRecorder(manifest.layers);
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
        } as ort.InferenceSession.SessionOptions),
      ),
    );
    return new SegmentedModel(manifest, target, sessions);
  }

  async run(inputs: Readonly<Record<string, HostTensor>>, options: RunOptions = {}): Promise<ExitOutputs> {
    const segments = this.target.segments!;
    const parameters = new Map(
      this.manifest.policy.parameters.map((p) => [
        p.input,
        parameterFeed(p, options.params?.[p.name] ?? p.default),
      ]),
    );
    // Batch-major values by name: the model inputs, then what each segment hands on. Parameters never shrink.
    let values = new Map<string, ort.Tensor>();
    for (const spec of this.manifest.inputs) values.set(spec.name, toOrtTensor(inputs[spec.name]!));
    const batch = values.get(this.manifest.inputs[0]!.name)!.dims[0]!;
    let active = Array.from({ length: batch }, (_, i) => i);
    let classes = 0;
    let logits = new Float32Array(0);
    const exitLayer = new Int32Array(batch);
    const confidence = new Float32Array(batch);
    let deepest = 0;
    const started = performance.now();
    let modelMs = 0;
    let checks = 0;
    for (const [k, segment] of segments.entries()) {
      const feeds = Object.fromEntries(
        segment.inputs.map((name) => [name, parameters.get(name) ?? values.get(name)!]),
      );
      const began = performance.now();
      const out = await this.sessions[k]!.run(feeds);
      modelMs += performance.now() - began;
      checks += 1;
      deepest = segment.exitLayer;
      const exited = out[segment.carried.exited]!.data as Uint8Array;
      const rowLogits = out[segment.carried.logits]!;
      classes = rowLogits.dims[1]!;
      if (logits.length === 0) logits = new Float32Array(batch * classes);
      const keep: number[] = [];
      active.forEach((sample, row) => {
        if (exited[row] || k === segments.length - 1) {
          logits.set(
            (rowLogits.data as Float32Array).subarray(row * classes, (row + 1) * classes),
            sample * classes,
          );
          exitLayer[sample] = Number((out[segment.carried.layer]!.data as BigInt64Array)[row]);
          confidence[sample] = (out[segment.carried.confidence]!.data as Float32Array)[row]!;
        } else keep.push(row);
      });
      if (keep.length === 0) break;
      const next = new Map<string, ort.Tensor>();
      const needed = new Set(segments.slice(k + 1).flatMap((s: SegmentSpec) => s.inputs));
      for (const [name, tensor] of [...values, ...Object.entries(out)]) {
        if (needed.has(name) && !parameters.has(name)) next.set(name, takeRows(tensor, keep));
      }
      values = next;
      active = keep.map((row) => active[row]!);
    }
    const telemetry: CallTelemetry = {
      exitLayers: [...exitLayer],
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
