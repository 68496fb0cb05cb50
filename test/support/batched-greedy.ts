import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** The manifest's decoder section, as far as the batched loop reads it. */
export interface DecoderManifestView {
  readonly layers: number;
  readonly decoder: {
    readonly caches: readonly { past: string; present: string; shape: (number | string)[] }[];
    readonly pending?: readonly {
      layer: number;
      input: string;
      output: string;
      shape: (number | string)[];
    }[];
  };
}

/**
 * Greedy decoding of a batch of equal-length prompts straight on onnxruntime with a compiled decoder step
 * (the step graph decides per sample; `DecoderModel` decodes one prompt at a time): the prompts' prefill at
 * full depth, then one token per call. Every carried tensor (key/value caches and pending inputs, empty at
 * first; recurrent states, zeros of their fixed size) is fed back from the step before. `onStep` sees each
 * step's outputs (for bookkeeping checks).
 */
export async function batchedGreedy(
  directory: string,
  prompts: readonly (readonly number[])[],
  threshold: number,
  newTokens: number,
  onStep?: (out: ort.InferenceSession.OnnxValueMapType, manifest: DecoderManifestView) => void,
): Promise<{ tokens: number[][]; exits: number[][] }> {
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as DecoderManifestView;
  const session = await ort.InferenceSession.create(join(directory, 'model.onnx'), { logSeverityLevel: 3 });
  const batch = prompts.length;
  const carried = [
    ...manifest.decoder.caches.map((c) => ({ input: c.past, output: c.present, shape: c.shape })),
    ...(manifest.decoder.pending ?? []),
  ];
  const feeds: Record<string, ort.Tensor> = {};
  for (const c of carried) {
    const dims = c.shape.map((d, k) => (typeof d === 'number' ? d : k === 0 ? batch : 0));
    feeds[c.input] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }
  let ids = prompts.flat();
  let width = prompts[0]!.length;
  const tokens: number[][] = prompts.map(() => []);
  const exits: number[][] = prompts.map(() => []);
  for (let step = 0; step < newTokens; step++) {
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [batch, width]),
      'offramp.full_depth': new ort.Tensor('bool', Uint8Array.of(step === 0 ? 1 : 0), []),
      'offramp.threshold': new ort.Tensor('float32', Float32Array.of(threshold), []),
      ...feeds,
    });
    for (const c of carried) feeds[c.input] = out[c.output] as ort.Tensor;
    onStep?.(out, manifest);
    const logits = out.logits as ort.Tensor;
    const vocab = logits.dims[1]!;
    ids = [];
    for (let b = 0; b < batch; b++) {
      const row = (logits.data as Float32Array).subarray(b * vocab, (b + 1) * vocab);
      let best = 0;
      for (let v = 1; v < vocab; v++) if (row[v]! > row[best]!) best = v;
      tokens[b]!.push(best);
      exits[b]!.push(Number(((out.exit_layer as ort.Tensor).data as BigInt64Array)[b]));
      ids.push(best);
    }
    width = 1;
  }
  await session.release();
  return { tokens, exits };
}
