import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type TensorToWrite } from '../../src/io/index.js';

/** Deterministic weights from a linear congruential sequence: `offset ± scale`, so tests need no stored data. */
export function seeded(count: number, seed: number, scale: number, offset = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return offset + (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/** Writes float32 tensors as a safetensors file in a fresh temporary directory; returns its path. */
export function writeTempSafetensors(name: string, tensors: readonly TensorToWrite[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'offramp-weights-')), name);
  writeFileSync(file, encodeSafetensors(tensors));
  return file;
}
