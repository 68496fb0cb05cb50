import { readFileSync } from 'node:fs';
import { parseSafetensors, type SafetensorsFile } from '../io/index.js';
import type { WeightSource } from './context.js';

/** Reads safetensors files once each; missing files or keys come back undefined (linking reports them). */
export class SafetensorsWeights implements WeightSource {
  private readonly files = new Map<string, SafetensorsFile | undefined>();

  get(file: string, key: string) {
    if (!this.files.has(file)) {
      let parsed: SafetensorsFile | undefined;
      try {
        parsed = parseSafetensors(readFileSync(file), file).file;
      } catch {
        parsed = undefined;
      }
      this.files.set(file, parsed);
    }
    const tensor = this.files.get(file)?.tensors.get(key);
    return tensor ? { data: tensor.values(), shape: tensor.shape } : undefined;
  }
}
