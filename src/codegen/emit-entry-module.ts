/**
 * The runtime entries: `sdk/node.ts` (onnxruntime-node) and `sdk/web.ts` (onnxruntime-web's WebGPU build).
 * Each opens one session on the compiled chain-form model and hands it to `<Class>Base` from `model.ts`;
 * `sdk/index.ts` re-exports the package's default entry.
 */
import { type SourceFile, VariableDeclarationKind } from 'ts-morph';
import type { SdkEntry, SdkPlan } from './sdk-plan.js';
import { asConst, docText, literal, print } from './ts-literals.js';

const ORT_MODULE: Readonly<Record<SdkEntry['runtime'], string>> = {
  node: 'onnxruntime-node',
  web: 'onnxruntime-web/webgpu',
};

/** Where the artifact directory is when the caller names none, and how the model file is found in it. */
const MODEL_LOCATION: Readonly<Record<SdkEntry['runtime'], string>> = {
  // The SDK folder sits inside the artifact directory, beside the model.
  node: `const artifactDir = options.artifactDir ?? fileURLToPath(new URL('..', import.meta.url));
const modelPath = join(artifactDir, MODEL_FILE);`,
  web: `const artifactUrl =
  options.artifactDir === undefined
    ? new URL('../', import.meta.url)
    : new URL(options.artifactDir.endsWith('/') ? options.artifactDir : \`\${options.artifactDir}/\`, globalThis.location.href);
const modelPath = new URL(MODEL_FILE, artifactUrl).href;`,
};

export function emitEntryModule(file: SourceFile, plan: SdkPlan, entry: SdkEntry): void {
  if (entry.runtime === 'node') {
    file.addImportDeclaration({ moduleSpecifier: 'node:path', namedImports: ['join'] });
    file.addImportDeclaration({ moduleSpecifier: 'node:url', namedImports: ['fileURLToPath'] });
  }
  file.addImportDeclaration({ moduleSpecifier: ORT_MODULE[entry.runtime], namespaceImport: 'ort' });
  file.addImportDeclaration({
    moduleSpecifier: './model.js',
    namedImports: [
      { name: 'Backend', isTypeOnly: true },
      { name: plan.baseClass },
      { name: plan.types.createOptions, isTypeOnly: true },
    ],
  });
  file.addExportDeclaration({ moduleSpecifier: './model.js' });
  file.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    docs: ['The chain-form model this runtime loads, relative to the artifact directory.'],
    declarations: [{ name: 'MODEL_FILE', initializer: asConst(entry.modelFile) }],
  });
  file.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    declarations: [
      {
        name: 'EXECUTION_PROVIDERS',
        type: 'readonly string[]',
        initializer: print(literal([...entry.executionProviders])),
      },
    ],
  });
  file.addVariableStatement({
    declarationKind: VariableDeclarationKind.Const,
    docs: [
      "Inputs this runtime's model takes in another element type (WebGPU narrows int64 to int32); feeds are converted.",
    ],
    declarations: [
      {
        name: 'FEED_TYPES',
        type: "Readonly<Record<string, 'int32' | 'float32'>>",
        initializer: print(literal({ ...entry.feedTypes })),
      },
    ],
  });
  file.addFunction({
    name: 'sessionBackend',
    parameters: [{ name: 'session', type: 'ort.InferenceSession' }],
    returnType: 'Backend',
    statements: `return {
  run: (feeds) => {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      const type = FEED_TYPES[name];
      const values = t.data as ArrayLike<number | bigint>;
      tensors[name] =
        type === 'int32'
          ? new ort.Tensor('int32', Int32Array.from(values, Number), t.dims)
          : type === 'float32'
            ? new ort.Tensor('float32', Float32Array.from(values, Number), t.dims)
            : new ort.Tensor(t.type, t.data, t.dims);
    }
    return session.run(tensors);
  },
  release: () => session.release(),
};`,
  });
  const where = entry.runtime === 'node' ? 'onnxruntime-node' : 'onnxruntime-web (WebGPU)';
  file.addClass({
    isExported: true,
    name: plan.className,
    extends: plan.baseClass,
    docs: [
      docText(
        `\`${plan.manifest.name}\` (${plan.manifest.policy.kind} early exit over ${plan.manifest.layers} layers) on ${where}.`,
      ),
    ],
    methods: [
      {
        name: 'create',
        isStatic: true,
        isAsync: true,
        docs: ['Opens the compiled model. Default: the artifact directory above this SDK folder.'],
        parameters: [{ name: 'options', type: plan.types.createOptions, initializer: '{}' }],
        returnType: `Promise<${plan.className}>`,
        statements: [
          MODEL_LOCATION[entry.runtime],
          `const session = await ort.InferenceSession.create(modelPath, {
  executionProviders: [...(options.executionProviders ?? EXECUTION_PROVIDERS)],
  // Warnings and errors only: onnxruntime's notes about graph rewrites are noise to an application.
  logSeverityLevel: 3,
});`,
          'return new this(sessionBackend(session));',
        ],
      },
    ],
  });
}

/** `sdk/index.ts`: the default entry (node when both are generated; `web.ts` is also a `browser` export). */
export function emitIndexModule(file: SourceFile, entry: SdkEntry): void {
  file.addExportDeclaration({ moduleSpecifier: `./${entry.file.replace(/\.ts$/, '.js')}` });
}
