/** Where the onnxruntime-web package lives (its `exports` hide package.json, so walk up from the entry). */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function onnxruntimeWebDir(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'onnxruntime-web'
    ) {
      return dir;
    }
    dir = dirname(dir);
  }
  throw new Error('onnxruntime-web is not installed: run `npm ci`');
}

export function onnxruntimeWebVersion(): string {
  return (JSON.parse(readFileSync(join(onnxruntimeWebDir(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
