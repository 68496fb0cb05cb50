/**
 * The declarations of `sdk/model.ts`: the manifest's constants (built as literals) and the types a caller
 * sees: `<C>Inputs`, `<C>Params`, `<C>Result`, `<C>Stats`, `<C>CreateOptions` (and `<C>Sampling`).
 */
import { type SourceFile, VariableDeclarationKind } from 'ts-morph';
import type { SdkPlan } from './sdk-plan.js';
import { asConst, docText, type LiteralValue, literal, print, propertyName } from './ts-literals.js';

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

export function rangeText(p: SdkPlan['parameters'][number]['spec']): string {
  const parts = [
    p.integer ? 'an integer' : undefined,
    p.minimum !== undefined ? `≥ ${p.minimum}` : undefined,
    p.maximum !== undefined ? `≤ ${p.maximum}` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'any finite number';
}

export function addConstants(file: SourceFile, plan: SdkPlan): void {
  const m = plan.manifest;
  const constant = (name: string, value: LiteralValue, doc: string, type?: string) =>
    file.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [docText(doc)],
      declarations: [
        { name, ...(type ? { type } : {}), initializer: type ? print(literal(value)) : asConst(value) },
      ],
    });
  constant('MODEL_NAME', m.name, 'The compiled model this SDK was generated for.');
  constant('POLICY', m.policy.kind, 'The exit policy compiled into the model.');
  constant('LAYERS', m.layers, 'Layers of the backbone.');
  constant(
    'EXITS',
    [...m.exits],
    '1-based layers after which a sample can exit; the last is always `LAYERS`.',
  );
  constant('MIN_EXIT', m.policy.minExit, 'No sample exits before this (1-based) layer.');
  constant(
    'INPUTS',
    m.inputs.map((i) => ({ name: i.name, elementType: i.elementType, shape: [...i.shape] })),
    'The graph inputs a caller provides, in feed order.',
    'readonly InputSpec[]',
  );
  constant(
    'PARAMETERS',
    m.policy.parameters.map((p) => ({
      name: p.name,
      input: p.input,
      elementType: p.elementType,
      default: typeof p.default === 'number' ? p.default : [...p.default],
      minimum: p.minimum,
      maximum: p.maximum,
      integer: p.integer,
    })),
    'Policy parameters: the graph input each is fed through, and the default fed when a call gives none.',
    'readonly ParameterSpec[]',
  );
  constant(
    'OUTPUTS',
    {
      logits: m.outputs.logits.name,
      exitLayer: m.outputs.exitLayer.name,
      confidence: m.outputs.confidence.name,
    },
    'Names of the graph outputs.',
  );
  constant(
    'UNIFORMS_INPUT',
    m.policy.uniformsInput,
    'PonderNet: the input taking uniform numbers [batch, exits]; undefined for other policies.',
    'string | undefined',
  );
  constant(
    'CLASS_NAMES',
    [...(m.classes ?? [])],
    'Class labels by index, when the model declares them.',
    'readonly string[]',
  );
  constant(
    'BATCH_FIELD',
    plan.batchField,
    `The member of \`${plan.types.inputs}\` that gives the batch size.`,
  );
}

export function addSpecTypes(file: SourceFile): void {
  file.addTypeAlias({
    isExported: true,
    name: 'ElementType',
    type: "'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'bool'",
  });
  file.addInterface({
    isExported: true,
    name: 'InputSpec',
    properties: [
      { name: 'name', type: 'string', isReadonly: true },
      { name: 'elementType', type: 'ElementType', isReadonly: true },
      {
        name: 'shape',
        type: 'readonly (number | string)[]',
        isReadonly: true,
        docs: ['Numbers are fixed, strings symbolic; the first symbolic dimension is the batch.'],
      },
    ],
  });
  file.addInterface({
    isExported: true,
    name: 'ParameterSpec',
    properties: [
      { name: 'name', type: 'string', isReadonly: true },
      { name: 'input', type: 'string', isReadonly: true, docs: ['The graph input that carries it.'] },
      { name: 'elementType', type: "'int64' | 'float32' | 'float64'", isReadonly: true },
      {
        name: 'default',
        type: 'number | readonly number[]',
        isReadonly: true,
        docs: ['A vector for per-exit parameters (one value per exit).'],
      },
      { name: 'minimum', type: 'number', hasQuestionToken: true, isReadonly: true },
      { name: 'maximum', type: 'number', hasQuestionToken: true, isReadonly: true },
      { name: 'integer', type: 'boolean', hasQuestionToken: true, isReadonly: true },
    ],
  });
  file.addTypeAlias({
    isExported: true,
    name: 'TensorData',
    type: 'Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array',
  });
  file.addInterface({
    isExported: true,
    name: 'FeedTensor',
    docs: ['A tensor handed to the backend, independent of the onnxruntime flavour.'],
    properties: [
      { name: 'type', type: 'ElementType', isReadonly: true },
      { name: 'data', type: 'TensorData', isReadonly: true },
      { name: 'dims', type: 'readonly number[]', isReadonly: true },
    ],
  });
  file.addInterface({
    isExported: true,
    name: 'OutputTensor',
    properties: [
      { name: 'data', type: 'unknown', isReadonly: true },
      { name: 'dims', type: 'readonly number[]', isReadonly: true },
    ],
  });
  file.addInterface({
    isExported: true,
    name: 'Backend',
    docs: ['An open inference session: the runtime entries (node.ts, web.ts) provide it.'],
    methods: [
      {
        name: 'run',
        parameters: [{ name: 'feeds', type: 'Readonly<Record<string, FeedTensor>>' }],
        returnType: 'Promise<Readonly<Record<string, OutputTensor>>>',
      },
      { name: 'release', returnType: 'Promise<void>' },
    ],
  });
}

export function addApiTypes(file: SourceFile, plan: SdkPlan): void {
  const m = plan.manifest;
  const t = plan.types;
  const symbolic = [...new Set(m.inputs.flatMap((i) => i.shape.filter((d) => typeof d === 'string')))];
  file.addInterface({
    isExported: true,
    name: t.inputs,
    docs: [
      docText(
        [
          `Inputs of \`${m.name}\`, one member per graph input.`,
          '',
          'Each tensor is flat, row-major data (a typed array or plain numbers). Its dimensions follow the',
          `shape shown on each member: the first symbolic dimension is the batch, given by \`${plan.batchField}\``,
          '(default 1), and one other symbolic dimension (e.g. the sequence length) is inferred from the',
          `length of the data. Symbolic dimensions with the same name (${symbolic.map((s) => `\`${s}\``).join(', ') || 'none here'})`,
          'must agree across inputs.',
        ].join('\n'),
      ),
    ],
    properties: [
      ...plan.inputs.map((i) => ({
        name: print(propertyName(i.spec.name)),
        type: i.type,
        isReadonly: true,
        docs: [
          docText(`\`${i.spec.name}\`: ${i.spec.elementType}, shape ${shapeText(i.spec.shape)}, row-major.`),
        ],
      })),
      {
        name: print(propertyName(plan.batchField)),
        type: 'number',
        isReadonly: true,
        hasQuestionToken: true,
        docs: ['Samples in this call (the batch dimension); default 1.'],
      },
    ],
  });
  file.addInterface({
    isExported: true,
    name: t.params,
    docs: [
      docText(
        `Parameters of the \`${m.policy.kind}\` exit policy. Each is optional: a call uses the value given here, else the value set with its setter, else the compiled default. They change per call without recompiling.`,
      ),
    ],
    properties: plan.parameters.map((p) => ({
      name: print(propertyName(p.spec.name)),
      type: p.type,
      isReadonly: true,
      hasQuestionToken: true,
      docs: [
        docText(
          [
            p.spec.description,
            '',
            `Default: ${JSON.stringify(p.spec.default)}. Range: ${rangeText(p.spec)}.`,
            p.perExit
              ? `One value for every exit, or one per exit (${m.exits.length} values, for the exits after layers ${m.exits.join(', ')}).`
              : undefined,
            `Fed as the ${p.spec.elementType} graph input \`${p.spec.input}\`.`,
          ]
            .filter((line) => line !== undefined)
            .join('\n'),
        ),
      ],
    })),
  });
  file.addInterface({
    isExported: true,
    name: t.telemetry,
    properties: [
      {
        name: 'exitLayers',
        type: 'readonly number[]',
        isReadonly: true,
        docs: ['1-based exit layer of each sample.'],
      },
      {
        name: 'layersExecuted',
        type: 'number',
        isReadonly: true,
        docs: ['Layers computed for the batch: the deepest exit in it.'],
      },
      { name: 'wallMs', type: 'number', isReadonly: true, docs: ['Time inside onnxruntime for this call.'] },
    ],
  });
  file.addInterface({
    isExported: true,
    name: t.result,
    properties: [
      { name: 'batch', type: 'number', isReadonly: true },
      {
        name: 'classes',
        type: 'number',
        isReadonly: true,
        docs: ['Classes per sample (the width of `logits`).'],
      },
      {
        name: 'logits',
        type: 'Float32Array',
        isReadonly: true,
        docs: ['Row-major [batch, classes]: the logits of the exit each sample took.'],
      },
      { name: 'predictions', type: 'Int32Array', isReadonly: true, docs: ['Arg-max class of each sample.'] },
      {
        name: 'exitLayer',
        type: 'Int32Array',
        isReadonly: true,
        docs: ['1-based layer after which each sample exited.'],
      },
      {
        name: 'confidence',
        type: 'Float32Array',
        isReadonly: true,
        docs: ['The policy’s confidence at the exit.'],
      },
      { name: 'telemetry', type: t.telemetry, isReadonly: true },
    ],
  });
  file.addInterface({
    isExported: true,
    name: t.stats,
    docs: ['Exit statistics over every call so far.'],
    properties: [
      { name: 'calls', type: 'number', isReadonly: true },
      { name: 'samples', type: 'number', isReadonly: true },
      {
        name: 'exitHistogram',
        type: 'readonly number[]',
        isReadonly: true,
        docs: ['exitHistogram[k - 1] = samples that exited after layer k.'],
      },
      { name: 'meanExitLayer', type: 'number', isReadonly: true },
      {
        name: 'estimatedSpeedup',
        type: 'number',
        isReadonly: true,
        docs: ['`LAYERS / meanExitLayer`: the speed-up if every layer cost the same.'],
      },
      { name: 'meanWallMs', type: 'number', isReadonly: true },
    ],
  });
  file.addInterface({
    isExported: true,
    name: t.createOptions,
    properties: [
      {
        name: 'artifactDir',
        type: 'string',
        isReadonly: true,
        hasQuestionToken: true,
        docs: [
          'The compiled artifact directory (node: a path; web: a URL, relative to the page). Default: the folder above this SDK.',
        ],
      },
      {
        name: 'executionProviders',
        type: 'readonly string[]',
        isReadonly: true,
        hasQuestionToken: true,
        docs: ['onnxruntime execution providers; default: the compiled target’s.'],
      },
    ],
  });
  if (m.policy.uniformsInput)
    file.addInterface({
      isExported: true,
      name: t.sampling,
      docs: ['PonderNet samples its exits: the uniform numbers it draws, or the seed that draws them.'],
      properties: [
        {
          name: 'uniforms',
          type: 'Float32Array',
          isReadonly: true,
          hasQuestionToken: true,
          docs: ['Uniform numbers in [0, 1), row-major [batch, exits].'],
        },
        {
          name: 'seed',
          type: 'number',
          isReadonly: true,
          hasQuestionToken: true,
          docs: ['Seed of the generator (mulberry32); default: the number of calls so far.'],
        },
      ],
    });
}
