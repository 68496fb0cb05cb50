/**
 * `generateSdk`: a compiled model's manifest → the files of its typed TypeScript SDK, under `sdk/` in the
 * artifact directory. Pure: it builds every file in memory (TypeScript as syntax via ts-morph) and
 * returns them; writing is the caller's one atomic step.
 */

import type { SourceFile } from 'ts-morph';
import type { Manifest } from '../runtime/index.js';
import { emitEntryModule, emitIndexModule } from './emit-entry-module.js';
import { emitModelModule } from './emit-model-module.js';
import { packageJson, readme, tsconfigJson } from './package-files.js';
import { planSdk, type SdkOptions } from './sdk-plan.js';
import { finish, generatedHeader, newProject } from './source-file.js';

/** A file a generator produced, relative to the artifact directory. */
export interface GeneratedFile {
  readonly path: string;
  readonly contents: string;
}

/** The SDK's folder inside the artifact directory. */
export const SDK_DIR = 'sdk';

export function generateSdk(manifest: Manifest, options: SdkOptions): GeneratedFile[] {
  const plan = planSdk(manifest, options);
  const header = generatedHeader(manifest.compiler, manifest.name);
  const project = newProject();
  const typescript = (name: string, build: (file: SourceFile) => void): GeneratedFile => {
    const file = project.createSourceFile(name, '');
    build(file);
    return { path: `${SDK_DIR}/${name}`, contents: finish(file, header) };
  };
  return [
    typescript('model.ts', (file) => emitModelModule(file, plan)),
    ...plan.entries.map((entry) => typescript(entry.file, (file) => emitEntryModule(file, plan, entry))),
    typescript('index.ts', (file) => emitIndexModule(file, plan.entries[0]!)),
    { path: `${SDK_DIR}/package.json`, contents: packageJson(plan, header) },
    { path: `${SDK_DIR}/tsconfig.json`, contents: tsconfigJson(plan, header) },
    { path: `${SDK_DIR}/README.md`, contents: readme(plan, header) },
  ];
}
