/**
 * The non-code files of the SDK package: `package.json`, `tsconfig.json` and `README.md`. The package ships
 * its TypeScript sources; `npm run build` compiles them in place (each `.js` beside its `.ts`), so the
 * entries find the model one folder up both before and after building.
 */
import type { SdkPlan } from './sdk-plan.js';

/** onnxruntime releases the generated code is written against (the ones Offramp tests it with). */
export const ORT_VERSION_RANGE = '^1.30.0';
const TYPESCRIPT_VERSION_RANGE = '^5.9.0';
const NODE_TYPES_VERSION_RANGE = '^20.0.0';

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export function packageJson(plan: SdkPlan, header: string): string {
  const has = (runtime: 'node' | 'web') => plan.entries.some((e) => e.runtime === runtime);
  const js = (file: string) => `./${file.replace(/\.ts$/, '.js')}`;
  const dts = (file: string) => `./${file.replace(/\.ts$/, '.d.ts')}`;
  const entryExport = (file: string) => ({ types: dts(file), default: js(file) });
  return json({
    name: plan.packageName,
    version: '0.0.0',
    private: true,
    description: header.replace(/^\/\/\s*/, ''),
    type: 'module',
    exports: {
      '.': {
        types: dts('index.ts'),
        ...(has('web') && has('node') ? { browser: js('web.ts') } : {}),
        default: js('index.ts'),
      },
      ...Object.fromEntries(plan.entries.map((e) => [`./${e.runtime}`, entryExport(e.file)])),
    },
    types: dts('index.ts'),
    main: js('index.ts'),
    scripts: { build: 'tsc -p tsconfig.json' },
    dependencies: {
      ...(has('node') ? { 'onnxruntime-node': ORT_VERSION_RANGE } : {}),
      ...(has('web') ? { 'onnxruntime-web': ORT_VERSION_RANGE } : {}),
    },
    devDependencies: {
      typescript: TYPESCRIPT_VERSION_RANGE,
      ...(has('node') ? { '@types/node': NODE_TYPES_VERSION_RANGE } : {}),
    },
  });
}

/** The compiler settings the SDK is type-checked with in Offramp's own tests. */
export function tsconfigJson(plan: SdkPlan, header: string): string {
  const has = (runtime: 'node' | 'web') => plan.entries.some((e) => e.runtime === runtime);
  return `${header}\n${json({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: has('web') ? ['ES2022', 'DOM'] : ['ES2022'],
      types: has('node') ? ['node'] : [],
      strict: true,
      noUncheckedIndexedAccess: true,
      declaration: true,
      skipLibCheck: true,
    },
    include: ['*.ts'],
  })}`;
}

export function readme(plan: SdkPlan, header: string): string {
  const m = plan.manifest;
  const t = plan.types;
  const first = plan.inputs[0]?.spec;
  const exampleParam = plan.parameters[0];
  const exampleValue = exampleParam ? JSON.stringify(exampleParam.spec.default) : undefined;
  const lines = [
    `# ${plan.packageName}`,
    '',
    `${header.replace(/^\/\/\s*/, '')}`,
    '',
    `A typed client for \`${m.name}\`: the ${m.policy.kind} exit policy over ${m.layers} layers, exits after layers ${m.exits.join(', ')}.`,
    `It is self-contained: it needs no manifest at run time and no Offramp code, only onnxruntime.`,
    '',
    '## Entries',
    '',
    ...plan.entries.map(
      (e) =>
        `- \`${e.file}\` (\`import { ${plan.className} } from '${plan.packageName}/${e.runtime}'\`): ${
          e.runtime === 'node'
            ? 'onnxruntime-node'
            : "onnxruntime-web's WebGPU build (`onnxruntime-web/webgpu`)"
        }, loads \`${e.modelFile}\` with execution providers ${e.executionProviders.map((p) => `\`${p}\``).join(', ')}.`,
    ),
    `- \`index.ts\`: the default entry (${plan.entries[0]!.runtime}${plan.entries.length > 1 ? '; bundlers that honour the `browser` condition get the web entry' : ''}).`,
    '- `model.ts`: the constants, the types and the runner, shared by the entries.',
    '',
    'Build with `npm install && npm run build` (the `.js` files land beside the sources). The SDK folder',
    'stays inside the artifact directory: `create()` loads the model from the folder above it unless',
    '`artifactDir` says otherwise.',
    '',
    '## Use',
    '',
    '```ts',
    `import { ${plan.className} } from '${plan.packageName}';`,
    '',
    `const model = await ${plan.className}.create();`,
    `const result = await model.run({ ${plan.inputs.map((i) => `${i.spec.name}: /* ${i.spec.elementType} [${i.spec.shape.join(', ')}] */ data`).join(', ')}, ${plan.batchField}: 1 }${
      exampleParam ? `, { ${exampleParam.spec.name}: ${exampleValue} }` : ''
    });`,
    'result.exitLayer; // 1-based layer after which each sample exited',
    'result.predictions; // arg-max class of each sample',
    'console.log(model.stats()); // exit histogram, mean exit layer, estimated speed-up',
    'await model.release();',
    '```',
    '',
    `Inputs (\`${t.inputs}\`) are flat row-major arrays; the first symbolic dimension is the batch, given by`,
    `\`${plan.batchField}\` (default 1), and one other symbolic dimension is inferred from the data length${
      first ? ` (e.g. \`${first.name}\` of shape [${first.shape.join(', ')}])` : ''
    }.`,
    '',
    '## Policy parameters',
    '',
    `Pass them per call (\`${t.params}\`) or set them once with the setters; each is a graph input, so changing`,
    'one needs no recompiling. Values outside the range throw a `RangeError` before anything runs.',
    '',
    '| parameter | setter | default | graph input | meaning |',
    '|---|---|---|---|---|',
    ...plan.parameters.map(
      (p) =>
        `| \`${p.spec.name}\` | \`${p.setter}\` | ${JSON.stringify(p.spec.default)} | \`${p.spec.input}\` (${p.spec.elementType}) | ${p.spec.description.replaceAll('|', '\\|')} |`,
    ),
    '',
  ];
  if (plan.entries.some((e) => e.runtime === 'web'))
    lines.push(
      '## In the browser',
      '',
      "The web entry uses `executionProviders: ['webgpu']` alone, so a machine without a WebGPU adapter fails",
      "at `create()` instead of silently running on wasm. Serve onnxruntime-web's `dist/` files and set",
      '`ort.env.wasm.wasmPaths` to them if your bundler does not.',
      '',
    );
  return lines.join('\n');
}
