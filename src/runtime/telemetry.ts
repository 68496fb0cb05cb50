/** Per-call and aggregated exit statistics. Speed-up is defined as `layers / mean(exit_layer)`. */
export interface CallTelemetry {
  readonly exitLayers: readonly number[];
  /** Layers actually computed for the batch (chain form: the deepest exit in the batch). */
  readonly layersExecuted: number;
  readonly wallMs: number;
  /** Time inside onnxruntime alone (segmented form): wall minus this is the driver's own cost. */
  readonly modelMs?: number;
  /** Exit checks the driver made (segmented form: segments run). */
  readonly checks?: number;
}

export interface TelemetrySummary {
  readonly calls: number;
  readonly samples: number;
  /** histogram[k-1] = number of samples that exited at layer k. */
  readonly exitHistogram: readonly number[];
  readonly meanExitLayer: number;
  /** `layers / meanExitLayer`: the ideal speed-up if every layer cost the same. */
  readonly estimatedSpeedup: number;
  readonly meanWallMs: number;
}

export class TelemetryRecorder {
  private readonly histogram: number[];
  private calls = 0;
  private samples = 0;
  private layerSum = 0;
  private wallSum = 0;

  constructor(private readonly layers: number) {
    this.histogram = new Array<number>(layers).fill(0);
  }

  record(call: CallTelemetry): void {
    this.calls += 1;
    this.wallSum += call.wallMs;
    for (const layer of call.exitLayers) {
      this.samples += 1;
      this.layerSum += layer;
      this.histogram[layer - 1] = (this.histogram[layer - 1] ?? 0) + 1;
    }
  }

  summary(): TelemetrySummary {
    const meanExitLayer = this.samples === 0 ? 0 : this.layerSum / this.samples;
    return {
      calls: this.calls,
      samples: this.samples,
      exitHistogram: [...this.histogram],
      meanExitLayer,
      estimatedSpeedup: meanExitLayer === 0 ? 0 : this.layers / meanExitLayer,
      meanWallMs: this.calls === 0 ? 0 : this.wallSum / this.calls,
    };
  }
}
