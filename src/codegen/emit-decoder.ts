/**
 * The decoder part of `sdk/model.ts`, for artifacts compiled from a `decode` block: the cache wiring as a
 * constant, the generation types, and `stream` / `generate` on the base class (a decoder step has no
 * batch `run`: each call needs the caches of the call before). Mirrors `DecoderModel` in src/runtime.
 */
import {
  type MethodDeclarationStructure,
  type SourceFile,
  StructureKind,
  VariableDeclarationKind,
} from 'ts-morph';
import type { SdkPlan } from './sdk-plan.js';
import { docText, literal, print } from './ts-literals.js';

export const decoderTypes = (plan: SdkPlan) => ({
  options: `${plan.className}GenerateOptions`,
  token: `${plan.className}Token`,
  generation: `${plan.className}Generation`,
});

export function addDecoderDeclarations(file: SourceFile, plan: SdkPlan): void {
  const decoder = plan.manifest.decoder!;
  const t = decoderTypes(plan);
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [
      docText(
        'How each step is fed: the token ids, the full-depth switch of the prefill, the cache pairs, and (recompute strategy) the layers’ pending inputs, handed from step to step like the caches.',
      ),
    ],
    declarations: [
      {
        name: 'DECODER',
        type: `{
  readonly idsInput: string;
  readonly fullDepthInput: string;
  readonly attentionMask?: string;
  readonly context?: number;
  readonly caches: readonly { readonly past: string; readonly present: string; readonly shape: readonly (number | string)[] }[];
  readonly pending: readonly { readonly layer: number; readonly input: string; readonly output: string; readonly shape: readonly (number | string)[] }[];
}`,
        initializer: print(
          literal({
            idsInput: decoder.idsInput,
            fullDepthInput: decoder.fullDepthInput,
            attentionMask: decoder.attentionMask,
            context: decoder.context,
            caches: decoder.caches.map((c) => ({ past: c.past, present: c.present, shape: [...c.shape] })),
            pending: (decoder.pending ?? []).map((p) => ({
              layer: p.layer,
              input: p.input,
              output: p.output,
              shape: [...p.shape],
            })),
          }),
        ),
      },
    ],
  });
  file.addInterface({
    isExported: true,
    name: t.options,
    properties: [
      {
        name: 'maxNewTokens',
        type: 'number',
        hasQuestionToken: true,
        isReadonly: true,
        docs: ['Tokens to generate (default 32).'],
      },
      {
        name: 'stopTokens',
        type: 'readonly number[]',
        hasQuestionToken: true,
        isReadonly: true,
        docs: ['Stop after emitting one of these.'],
      },
      {
        name: 'params',
        type: plan.types.params,
        hasQuestionToken: true,
        isReadonly: true,
        docs: ['Policy parameters for this generation.'],
      },
      {
        name: 'sampling',
        type: '{ readonly temperature?: number; readonly topK?: number; readonly seed?: number }',
        hasQuestionToken: true,
        isReadonly: true,
        docs: ['Sample (seeded, reproducible) instead of taking the arg-max.'],
      },
    ],
  });
  file.addInterface({
    isExported: true,
    name: t.token,
    properties: [
      { name: 'token', type: 'number', isReadonly: true },
      {
        name: 'position',
        type: 'number',
        isReadonly: true,
        docs: ['0-based position in the sequence, prompt included.'],
      },
      { name: 'exitLayer', type: 'number', isReadonly: true, docs: ['1-based layer this token exited at.'] },
      { name: 'confidence', type: 'number', isReadonly: true },
      { name: 'wallMs', type: 'number', isReadonly: true },
    ],
  });
  file.addInterface({
    isExported: true,
    name: t.generation,
    properties: [
      { name: 'tokens', type: 'number[]', isReadonly: true },
      { name: 'steps', type: `${t.token}[]`, isReadonly: true },
      { name: 'meanExitLayer', type: 'number', isReadonly: true },
      { name: 'layersSaved', type: 'number', isReadonly: true, docs: ['1 − mean exit layer / LAYERS.'] },
      { name: 'tokensPerSecond', type: 'number', isReadonly: true },
    ],
  });
  file.addFunction({
    name: 'seededRandom',
    docs: ['mulberry32: reproducible numbers in [0, 1) for sampling.'],
    parameters: [{ name: 'seed', type: 'number' }],
    returnType: '() => number',
    statements: `let state = seed >>> 0;
return () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};`,
  });
  file.addFunction({
    name: 'pickToken',
    docs: ['Arg-max (lowest index on ties), or a seeded sample with temperature and top-k.'],
    parameters: [
      { name: 'logits', type: 'Float32Array' },
      { name: 'sampling', type: `${t.options}['sampling']` },
      { name: 'random', type: '() => number' },
    ],
    returnType: 'number',
    statements: `if (!sampling) {
  let best = 0;
  for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
  return best;
}
const temperature = sampling.temperature ?? 1;
if (!(temperature > 0)) throw new RangeError(\`temperature must be > 0; got \${temperature}\`);
let order = Array.from(logits.keys());
if (sampling.topK !== undefined) order = order.sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, sampling.topK);
const max = Math.max(...order.map((v) => logits[v]!));
const weights = order.map((v) => Math.exp((logits[v]! - max) / temperature));
let r = random() * weights.reduce((a, b) => a + b, 0);
for (const [k, w] of weights.entries()) {
  r -= w;
  if (r < 0) return order[k]!;
}
return order[order.length - 1]!;`,
  });
}

/** `stream` and `generate` for the base class. */
export function decoderMethods(plan: SdkPlan): MethodDeclarationStructure[] {
  const t = decoderTypes(plan);
  return [
    {
      kind: StructureKind.Method,
      name: 'stream',
      isAsync: true,
      isGenerator: true,
      docs: [
        docText(
          'Generates token by token: the prompt runs once at full depth, then each new token is one step in which the policy may exit early.',
        ),
      ],
      parameters: [
        { name: 'prompt', type: 'readonly number[]' },
        { name: 'options', type: t.options, initializer: '{}' },
      ],
      returnType: `AsyncGenerator<${t.token}>`,
      statements: `const maxNew = options.maxNewTokens ?? 32;
if (prompt.length === 0) throw new RangeError('the prompt is empty: give at least one token id');
if (!Number.isInteger(maxNew) || maxNew < 1) throw new RangeError(\`maxNewTokens must be a positive integer; got \${maxNew}\`);
if (DECODER.context !== undefined && prompt.length + maxNew - 1 > DECODER.context)
  throw new RangeError(\`prompt (\${prompt.length} tokens) + \${maxNew} new tokens needs \${prompt.length + maxNew - 1} positions; the model has \${DECODER.context}\`);
const stop = new Set(options.stopTokens ?? []);
const random = seededRandom(options.sampling?.seed ?? 0);
const carried = [
  ...DECODER.caches.map((c) => ({ input: c.past, output: c.present, shape: c.shape })),
  ...DECODER.pending,
];
const caches = new Map<string, FeedTensor>();
// Empty key/value caches (no positions yet), or zero recurrent states of their fixed size (Mamba conv/SSM).
for (const c of carried) {
  const dims = c.shape.map((d, k) => (typeof d === 'number' ? d : k === 0 ? 1 : 0));
  caches.set(c.input, { type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims });
}
const explicit = (options.params ?? {}) as Readonly<Record<string, number | readonly number[] | undefined>>;
let ids = [...prompt];
let position = 0;
for (let produced = 0; produced < maxNew; produced++) {
  const feeds: Record<string, FeedTensor> = {
    [DECODER.idsInput]: { type: 'int64', data: BigInt64Array.from(ids, (v) => BigInt(v)), dims: [1, ids.length] },
    [DECODER.fullDepthInput]: { type: 'bool', data: Uint8Array.of(produced === 0 ? 1 : 0), dims: [] },
  };
  for (const [name, tensor] of caches) feeds[name] = tensor;
  if (DECODER.attentionMask !== undefined)
    feeds[DECODER.attentionMask] = { type: 'int64', data: new BigInt64Array(position + ids.length).fill(1n), dims: [1, position + ids.length] };
  for (const spec of PARAMETERS) {
    const value = explicit[spec.name] ?? this.overrides.get(spec.name) ?? spec.default;
    feeds[spec.input] = parameterFeed(spec, checkedValues(spec, value));
  }
  const started = performance.now();
  const out = await this.backend.run(feeds);
  const wallMs = performance.now() - started;
  for (const c of carried) {
    const present = out[c.output];
    if (!present) throw new Error(\`\${MODEL_NAME}: the session did not return '\${c.output}'\`);
    caches.set(c.input, { type: 'float32', data: floats(present.data), dims: present.dims });
  }
  const token = pickToken(floats(out[OUTPUTS.logits]?.data), options.sampling, random);
  const exitLayer = integers(out[OUTPUTS.exitLayer]?.data)[0] ?? LAYERS;
  this.record({ exitLayers: [exitLayer], layersExecuted: exitLayer, wallMs });
  position += ids.length;
  yield { token, position, exitLayer, confidence: floats(out[OUTPUTS.confidence]?.data)[0] ?? 0, wallMs };
  if (stop.has(token)) return;
  ids = [token];
}`,
    },
    {
      kind: StructureKind.Method,
      name: 'generate',
      isAsync: true,
      docs: [docText('Generates to the end (length or stop token) and summarises the exits.')],
      parameters: [
        { name: 'prompt', type: 'readonly number[]' },
        { name: 'options', type: t.options, initializer: '{}' },
      ],
      returnType: `Promise<${t.generation}>`,
      statements: `const steps: ${t.token}[] = [];
for await (const step of this.stream(prompt, options)) steps.push(step);
const mean = steps.reduce((a, s) => a + s.exitLayer, 0) / Math.max(1, steps.length);
const ms = steps.reduce((a, s) => a + s.wallMs, 0);
return {
  tokens: steps.map((s) => s.token),
  steps,
  meanExitLayer: mean,
  layersSaved: 1 - mean / LAYERS,
  tokensPerSecond: ms > 0 ? (steps.length * 1000) / ms : 0,
};`,
    },
  ];
}
