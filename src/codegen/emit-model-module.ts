/**
 * `sdk/model.ts`: what both runtime entries share. The model's constants and typed API
 * (`emit-model-declarations.ts`), fixed helpers, and `<Class>Base`, which feeds a session and reads its
 * outputs. The entries only open an onnxruntime session and hand it over as a `Backend`.
 *
 * The method bodies are fixed code that reads the constant tables; manifest data never enters them as
 * text, only through the tables (and the setters' parameter names, built as literals).
 */
import { type MethodDeclarationStructure, Scope, type SourceFile, StructureKind } from 'ts-morph';
import { addDecoderDeclarations, decoderMethods } from './emit-decoder.js';
import { addApiTypes, addConstants, addSpecTypes, rangeText } from './emit-model-declarations.js';
import type { SdkPlan } from './sdk-plan.js';
import { docText, returnThisCall } from './ts-literals.js';

/** Fixed helpers: converting inputs, resolving dimensions, checking parameters, reading outputs. */
function addHelpers(file: SourceFile, plan: SdkPlan): void {
  file.addFunction({
    name: 'toTensorData',
    docs: [
      'Plain arrays become the typed array of the element type; typed arrays of that type pass as they are.',
    ],
    parameters: [
      { name: 'spec', type: 'InputSpec' },
      { name: 'values', type: 'ArrayLike<number | bigint | boolean>' },
    ],
    returnType: 'TensorData',
    statements: `switch (spec.elementType) {
  case 'int64':
    return values instanceof BigInt64Array ? values : BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  case 'int32':
    return values instanceof Int32Array ? values : Int32Array.from(values, Number);
  case 'float64':
    return values instanceof Float64Array ? values : Float64Array.from(values, Number);
  case 'float16':
    return values instanceof Uint16Array ? values : Uint16Array.from(values, Number);
  case 'bool':
    return values instanceof Uint8Array ? values : Uint8Array.from(values, (v) => (v ? 1 : 0));
  default:
    return values instanceof Float32Array ? values : Float32Array.from(values, Number);
}`,
  });
  file.addFunction({
    name: 'dimsOf',
    docs: ['The first symbolic dimension is the batch; at most one other is inferred from the data length.'],
    parameters: [
      { name: 'spec', type: 'InputSpec' },
      { name: 'length', type: 'number' },
      { name: 'batch', type: 'number' },
    ],
    returnType: 'number[]',
    statements: `const batchAxis = spec.shape.findIndex((d) => typeof d === 'string');
const dims = spec.shape.map((d, k) => (typeof d === 'number' ? d : k === batchAxis ? batch : -1));
const free = dims.filter((d) => d < 0).length;
const known = dims.reduce((product, d) => (d < 0 ? product : product * d), 1);
if (free > 1)
  throw new RangeError(\`input '\${spec.name}' has \${free} free dimensions besides the batch; only one can be inferred\`);
if (free === 0 ? known !== length : known === 0 || length % known !== 0)
  throw new RangeError(
    \`input '\${spec.name}' has \${length} values, which do not fit its shape [\${spec.shape.join(', ')}] at batch \${batch}\`,
  );
return dims.map((d) => (d < 0 ? length / known : d));`,
  });
  file.addFunction({
    name: 'checkedValues',
    docs: [
      'A parameter value as the numbers to feed; throws a RangeError for a value the policy does not accept.',
    ],
    parameters: [
      { name: 'spec', type: 'ParameterSpec' },
      { name: 'value', type: 'number | readonly number[]' },
    ],
    returnType: 'number[]',
    statements: `const perExit = typeof spec.default !== 'number';
const values = typeof value === 'number' ? (perExit ? EXITS.map(() => value) : [value]) : [...value];
if (!perExit && values.length !== 1) throw new RangeError(\`parameter '\${spec.name}' takes one number\`);
if (perExit && values.length !== EXITS.length)
  throw new RangeError(\`parameter '\${spec.name}' takes one number, or one per exit (\${EXITS.length})\`);
for (const v of values) {
  const fits =
    Number.isFinite(v) &&
    (!spec.integer || Number.isInteger(v)) &&
    (spec.minimum === undefined || v >= spec.minimum) &&
    (spec.maximum === undefined || v <= spec.maximum);
  if (!fits) {
    const range = [spec.integer ? 'an integer' : 'a finite number', spec.minimum !== undefined ? \`≥ \${spec.minimum}\` : '', spec.maximum !== undefined ? \`≤ \${spec.maximum}\` : '']
      .filter(Boolean)
      .join(', ');
    throw new RangeError(\`parameter '\${spec.name}' must be \${range}; got \${v}\`);
  }
}
return values;`,
  });
  file.addFunction({
    name: 'parameterFeed',
    parameters: [
      { name: 'spec', type: 'ParameterSpec' },
      { name: 'values', type: 'readonly number[]' },
    ],
    returnType: 'FeedTensor',
    statements: `const dims = typeof spec.default === 'number' ? [] : [values.length];
switch (spec.elementType) {
  case 'int64':
    return { type: 'int64', data: BigInt64Array.from(values, (v) => BigInt(v)), dims };
  case 'float64':
    return { type: 'float64', data: Float64Array.from(values), dims };
  default:
    return { type: 'float32', data: Float32Array.from(values), dims };
}`,
  });
  file.addFunction({
    name: 'parameterSpec',
    parameters: [{ name: 'name', type: 'string' }],
    returnType: 'ParameterSpec',
    statements: `const spec = PARAMETERS.find((p) => p.name === name);
if (!spec) throw new TypeError(\`\${MODEL_NAME} has no policy parameter '\${name}'\`);
return spec;`,
  });
  file.addFunction({
    name: 'floats',
    parameters: [{ name: 'data', type: 'unknown' }],
    returnType: 'Float32Array',
    statements: 'return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);',
  });
  file.addFunction({
    name: 'integers',
    parameters: [{ name: 'data', type: 'unknown' }],
    returnType: 'Int32Array',
    statements: 'return Int32Array.from(data as ArrayLike<number | bigint>, Number);',
  });
  file.addFunction({
    name: 'argmaxRows',
    parameters: [
      { name: 'logits', type: 'Float32Array' },
      { name: 'batch', type: 'number' },
      { name: 'classes', type: 'number' },
    ],
    returnType: 'Int32Array',
    statements: `const out = new Int32Array(batch);
for (let b = 0; b < batch; b++) {
  let best = 0;
  for (let c = 1; c < classes; c++) if ((logits[b * classes + c] ?? 0) > (logits[b * classes + best] ?? 0)) best = c;
  out[b] = best;
}
return out;`,
  });
  if (plan.manifest.policy.uniformsInput)
    file.addFunction({
      name: 'uniformNumbers',
      docs: [
        'mulberry32: the generator Offramp’s own runtime uses, so a seed gives the same exits there and here.',
      ],
      parameters: [
        { name: 'count', type: 'number' },
        { name: 'seed', type: 'number' },
      ],
      returnType: 'Float32Array',
      statements: `let state = seed >>> 0;
const out = new Float32Array(count);
for (let i = 0; i < count; i++) {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
return out;`,
    });
}

/** `run`: one batch through the chain-form model (not for decoder steps, which `stream` drives). */
function runMethod(plan: SdkPlan): MethodDeclarationStructure {
  const t = plan.types;
  const sampling = plan.manifest.policy.uniformsInput !== undefined;
  return {
    kind: StructureKind.Method,
    name: 'run',
    isAsync: true,
    docs: [
      docText(
        `Runs a batch. Every sample gets exactly the result it would get alone; layers after the last exit of the batch are not computed.`,
      ),
    ],
    parameters: [
      { name: 'inputs', type: t.inputs },
      { name: 'params', type: t.params, initializer: '{}' },
      ...(sampling ? [{ name: 'sampling', type: t.sampling, initializer: '{}' }] : []),
    ],
    returnType: `Promise<${t.result}>`,
    statements: [
      `const given = inputs as unknown as Readonly<Record<string, ArrayLike<number | bigint | boolean> | number | undefined>>;
const batch = given[BATCH_FIELD] ?? 1;
if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1)
  throw new RangeError(\`\${BATCH_FIELD} must be a positive integer; got \${String(batch)}\`);
const feeds: Record<string, FeedTensor> = {};
for (const spec of INPUTS) {
  const values = given[spec.name];
  if (values === undefined || typeof values === 'number') throw new TypeError(\`missing input '\${spec.name}'\`);
  feeds[spec.name] = { type: spec.elementType, data: toTensorData(spec, values), dims: dimsOf(spec, values.length, batch) };
}
// Parameters are plain graph inputs: every call feeds each one.
const explicit = params as Readonly<Record<string, number | readonly number[] | undefined>>;
for (const spec of PARAMETERS) {
  const value = explicit[spec.name] ?? this.overrides.get(spec.name) ?? spec.default;
  feeds[spec.input] = parameterFeed(spec, checkedValues(spec, value));
}`,
      ...(sampling
        ? [
            `if (UNIFORMS_INPUT !== undefined) {
  const uniforms = sampling.uniforms ?? uniformNumbers(batch * EXITS.length, sampling.seed ?? this.calls);
  if (uniforms.length !== batch * EXITS.length)
    throw new RangeError(\`uniforms must hold batch × exits = \${batch * EXITS.length} numbers\`);
  feeds[UNIFORMS_INPUT] = { type: 'float32', data: uniforms, dims: [batch, EXITS.length] };
}`,
          ]
        : []),
      `const started = performance.now();
const out = await this.backend.run(feeds);
const wallMs = performance.now() - started;
const logitsTensor = out[OUTPUTS.logits];
const exitTensor = out[OUTPUTS.exitLayer];
const confidenceTensor = out[OUTPUTS.confidence];
if (!logitsTensor || !exitTensor || !confidenceTensor) throw new Error(\`\${MODEL_NAME}: the session did not return its outputs\`);
const classes = logitsTensor.dims[1] ?? 0;
const logits = floats(logitsTensor.data);
const exitLayer = integers(exitTensor.data);
const telemetry = {
  exitLayers: [...exitLayer],
  layersExecuted: exitLayer.reduce((a, b) => Math.max(a, b), 0),
  wallMs,
};
this.record(telemetry);
return {
  batch,
  classes,
  logits,
  predictions: argmaxRows(logits, batch, classes),
  exitLayer,
  confidence: floats(confidenceTensor.data),
  telemetry,
};`,
    ],
  };
}

function addBaseClass(file: SourceFile, plan: SdkPlan): void {
  const t = plan.types;
  file.addClass({
    isExported: true,
    name: plan.baseClass,
    docs: [
      docText(
        `Runs \`${plan.manifest.name}\` on an open session. Create instances with \`${plan.className}.create()\` from the runtime entry.`,
      ),
    ],
    properties: [
      {
        name: 'overrides',
        scope: Scope.Private,
        isReadonly: true,
        initializer: 'new Map<string, number | readonly number[]>()',
      },
      {
        name: 'histogram',
        scope: Scope.Private,
        isReadonly: true,
        initializer: 'new Array<number>(LAYERS).fill(0)',
      },
      { name: 'calls', scope: Scope.Private, initializer: '0' },
      { name: 'samples', scope: Scope.Private, initializer: '0' },
      { name: 'layerSum', scope: Scope.Private, initializer: '0' },
      { name: 'wallSum', scope: Scope.Private, initializer: '0' },
    ],
    ctors: [
      {
        scope: Scope.Protected,
        parameters: [{ name: 'backend', type: 'Backend', scope: Scope.Private, isReadonly: true }],
      },
    ],
    methods: [
      ...plan.parameters.map((p) => ({
        kind: StructureKind.Method as const,
        name: p.setter,
        docs: [
          docText(
            `Sets \`${p.spec.name}\` for every later call (a call's own params still win). ${p.spec.description} Default: ${JSON.stringify(p.spec.default)}. Range: ${rangeText(p.spec)}.`,
          ),
        ],
        parameters: [{ name: 'value', type: p.type }],
        returnType: 'this',
        statements: [returnThisCall('setParameter', p.spec.name, 'value')],
      })),
      {
        kind: StructureKind.Method,
        name: 'setParameter',
        scope: Scope.Private,
        parameters: [
          { name: 'name', type: 'string' },
          { name: 'value', type: 'number | readonly number[]' },
        ],
        returnType: 'this',
        statements: `checkedValues(parameterSpec(name), value);
this.overrides.set(name, typeof value === 'number' ? value : [...value]);
return this;`,
      },
      ...(plan.manifest.decoder ? decoderMethods(plan) : []),
      ...(plan.manifest.decoder ? [] : [runMethod(plan)]),
      {
        kind: StructureKind.Method,
        name: 'record',
        scope: Scope.Private,
        parameters: [{ name: 'call', type: t.telemetry }],
        returnType: 'void',
        statements: `this.calls += 1;
this.wallSum += call.wallMs;
for (const layer of call.exitLayers) {
  this.samples += 1;
  this.layerSum += layer;
  this.histogram[layer - 1] = (this.histogram[layer - 1] ?? 0) + 1;
}`,
      },
      {
        kind: StructureKind.Method,
        name: 'stats',
        docs: ['Exit statistics over every call so far.'],
        returnType: t.stats,
        statements: `const meanExitLayer = this.samples === 0 ? 0 : this.layerSum / this.samples;
return {
  calls: this.calls,
  samples: this.samples,
  exitHistogram: [...this.histogram],
  meanExitLayer,
  estimatedSpeedup: meanExitLayer === 0 ? 0 : LAYERS / meanExitLayer,
  meanWallMs: this.calls === 0 ? 0 : this.wallSum / this.calls,
};`,
      },
      {
        kind: StructureKind.Method,
        name: 'release',
        docs: ['Frees the session; the instance cannot run afterwards.'],
        returnType: 'Promise<void>',
        statements: 'return this.backend.release();',
      },
    ],
  });
}

/** Builds `sdk/model.ts` into `file`. */
export function emitModelModule(file: SourceFile, plan: SdkPlan): void {
  addSpecTypes(file);
  addConstants(file, plan);
  addApiTypes(file, plan);
  addHelpers(file, plan);
  if (plan.manifest.decoder) addDecoderDeclarations(file, plan);
  addBaseClass(file, plan);
}
