import { describe, expect, it } from 'vitest';
import {
  type Carried,
  driverStep,
  type ExitContext,
  evaluatePolicy,
  type NumTensor,
  type OnnxOps,
  type ParameterValues,
  type PolicyKind,
  type PolicyOptions,
  policySpecs,
  scalar,
  tensor,
  weightKey,
} from '../../src/policies/index.js';
import { type Handle, ModelEmitter, runInOrt } from './support/onnx-model.js';
import { randomTensor, rng, ulps32 } from './support/random.js';

/**
 * Whole policies, not single ops: each spec's signal, decision and the driver rules lowered through
 * `OnnxOps` into one ONNX model and run in onnxruntime, against the reference evaluator on the same random
 * batch. This is the contract the compiler relies on: the graph and the evaluator take the same exits.
 */
const BATCH = 24;
const EXITS = 6;
const HIDDEN = 8;
const LAMBDA_BLOCKS = 2;

interface Scenario {
  readonly kind: PolicyKind;
  readonly label: string;
  readonly classes: number;
  readonly parameters: ParameterValues;
  readonly options?: PolicyOptions;
  readonly minExit?: number;
  /** Scale of the random logits (small: unsure heads, so exits spread). */
  readonly logitScale?: number;
}

const scenarios: Scenario[] = [
  { kind: 'pabee', label: 'patience 1', classes: 3, parameters: { patience: 1 } },
  { kind: 'pabee', label: 'patience 2, min_exit 4', classes: 2, parameters: { patience: 2 }, minExit: 4 },
  {
    kind: 'pabee',
    label: 'regression, τ 1',
    classes: 1,
    parameters: { patience: 1, threshold: 1 },
    options: { task: 'regression' },
  },
  { kind: 'qexit', label: 'q 0.5', classes: 4, parameters: { q: 0.5 }, options: { lambdaBlocks: 2 } },
  {
    kind: 'qexit',
    label: 'q 0.8, min_exit 2',
    classes: 4,
    parameters: { q: 0.8 },
    options: { lambdaBlocks: 2 },
    minExit: 2,
  },
  { kind: 'pondernet', label: 'u < λ', classes: 4, parameters: {}, options: { lambdaBlocks: 2 } },
  { kind: 'jei', label: 't 0.5', classes: 4, parameters: { threshold: 0.5 } },
  { kind: 'jei', label: 't 0.35', classes: 4, parameters: { threshold: 0.35 } },
  { kind: 'maxprob', label: 'τ 0.6', classes: 4, parameters: { threshold: 0.6 } },
  { kind: 'margin', label: 'τ 0.3', classes: 4, parameters: { threshold: 0.3 } },
  {
    kind: 'entropy',
    label: 'normalised, τ 0.7',
    classes: 4,
    parameters: { threshold: 0.7 },
    options: { normalizedEntropy: true },
  },
  {
    kind: 'entropy',
    label: 'per-exit thresholds',
    classes: 4,
    parameters: { threshold: [0.2, 0.4, 0.6, 0.8, 1, 1.2] },
  },
  { kind: 'mamba', label: 'max-prob, τ 0.6', classes: 4, parameters: { threshold: 0.6 } },
  {
    kind: 'mamba',
    label: 'sigmoid score, τ 0.7',
    classes: 1,
    parameters: { threshold: 0.7 },
    options: { measure: 'sigmoid' },
  },
  {
    kind: 'mamba',
    label: 'margin, τ 0.3',
    classes: 4,
    parameters: { threshold: 0.3 },
    options: { measure: 'margin' },
  },
  {
    kind: 'mamba',
    label: 'entropy certainty, τ 0.2',
    classes: 4,
    parameters: { threshold: 0.2 },
    options: { measure: 'entropy' },
  },
  { kind: 'learned', label: 'τ 0.6', classes: 4, parameters: { threshold: 0.6 } },
];

/** Random inputs for one scenario: per-exit logits and pooled vectors, weights by full key, uniforms. */
function inputsFor(scenario: Scenario, seed: number) {
  const random = rng(seed);
  const scale = scenario.logitScale ?? 1.5;
  const logits = Array.from({ length: EXITS }, () =>
    randomTensor(random, 'float32', [BATCH, scenario.classes], -scale, scale),
  );
  const pooled = Array.from({ length: EXITS }, () => randomTensor(random, 'float32', [BATCH, HIDDEN], -1, 1));
  const weights = new Map<string, NumTensor>();
  const add = (key: string, shape: number[], lo: number, hi: number) =>
    weights.set(key, randomTensor(random, 'float32', shape, lo, hi));
  for (let k = 0; k < LAMBDA_BLOCKS; k++) {
    add(`lambda.hidden.${k}.weight`, [2 * HIDDEN, 2 * HIDDEN], -0.5, 0.5);
    add(`lambda.hidden.${k}.bias`, [2 * HIDDEN], -0.2, 0.2);
  }
  add('lambda.out.weight', [1, 2 * HIDDEN], -1, 1);
  add('lambda.out.bias', [1], -1.5, -1);
  // Gates that rise with p_max and margin and fall with entropy, as trained ones do, so samples differ.
  const gateShape = [4, -2, 3, -1];
  for (let i = 0; i < EXITS - 1; i++) {
    const noise = randomTensor(random, 'float32', [1, 4], -0.5, 0.5);
    weights.set(
      `gate.${i}.weight`,
      tensor(
        'float32',
        [1, 4],
        gateShape.map((w, j) => w + noise.data[j]!),
      ),
    );
    add(`gate.${i}.bias`, [1], -2.5, -1.5);
  }
  const uniforms = Float32Array.from({ length: BATCH * EXITS }, () => random());
  // Drawn last, so the other scenarios' inputs stay what they were.
  for (let i = 0; i < EXITS - 1; i++) {
    add(`conf.${i}.weight`, [2, HIDDEN], -1.5, 1.5);
    add(`conf.${i}.bias`, [2], -0.5, 0.5);
  }
  return { logits, pooled, weights, uniforms };
}

const prefixOf = (kind: PolicyKind) =>
  kind === 'qexit' || kind === 'pondernet'
    ? 'lambda.'
    : kind === 'jei'
      ? 'gate.{i}.'
      : kind === 'learned'
        ? 'conf.{i}.'
        : '';

/** The policy as the compiler emits it: spec.signal + spec.step + driverStep through `OnnxOps`. */
async function runCompiled(scenario: Scenario, data: ReturnType<typeof inputsFor>) {
  const spec = policySpecs[scenario.kind];
  let layer = 1;
  const emitter = new ModelEmitter({
    parameter: (name, exitIndex) => {
      const decl = spec.parameters.find((p) => p.name === name)!;
      const value = scenario.parameters[name] ?? decl.default;
      return scalar(typeof value === 'number' ? value : value[exitIndex!]!, decl.dtype);
    },
    weight: (key) => data.weights.get(weightKey(prefixOf(scenario.kind), key, layer))!,
    uniform: (exitIndex) =>
      tensor(
        'float32',
        [BATCH],
        Array.from({ length: BATCH }, (_, b) => data.uniforms[b * EXITS + exitIndex]!),
      ),
  });
  const [layerOut, logitsOut, confidenceOut] = await runInOrt(
    [...data.logits, ...data.pooled],
    (ops: OnnxOps<Handle>, handles) => {
      let state = spec.init(ops);
      let carried: Carried<Handle> | undefined;
      for (let e = 0; e < EXITS; e++) {
        layer = e + 1;
        const exit: ExitContext = {
          ...scenario.options,
          layer,
          exitIndex: e,
          exitCount: EXITS,
          classes: scenario.classes,
        };
        const logits = handles[e]!;
        const head = {
          logits,
          ...(spec.needsPooled ? { pooled: handles[EXITS + e]! } : {}),
          ...(spec.needsPooled && e > 0 ? { previousPooled: handles[EXITS + e - 1]! } : {}),
        };
        const step = spec.step(ops, state, spec.signal(ops, head, exit), exit);
        state = step.state;
        carried = driverStep(ops, carried, { logits, exit: step.exit, confidence: step.confidence }, exit, {
          minExit: scenario.minExit ?? 1,
        });
      }
      return [carried!.layer, carried!.logits, carried!.confidence];
    },
    emitter,
  );
  return { layer: layerOut!, logits: logitsOut!, confidence: confidenceOut! };
}

function runEvaluator(scenario: Scenario, data: ReturnType<typeof inputsFor>) {
  return evaluatePolicy({
    spec: policySpecs[scenario.kind],
    exitLayers: Array.from({ length: EXITS }, (_, e) => e + 1),
    classes: scenario.classes,
    ...(scenario.options ? { options: scenario.options } : {}),
    heads: data.logits.map((l, e) => ({
      logits: Float32Array.from(l.data),
      pooled: Float32Array.from(data.pooled[e]!.data),
    })),
    weightsPrefix: prefixOf(scenario.kind),
    weight: (key) => {
      const t = data.weights.get(key);
      return t ? { data: Float32Array.from(t.data), shape: t.shape } : undefined;
    },
    parameters: scenario.parameters,
    uniforms: data.uniforms,
    ...(scenario.minExit !== undefined ? { minExit: scenario.minExit } : {}),
  });
}

describe('a policy lowered through OnnxOps and run in onnxruntime takes the evaluator’s exits', () => {
  it.each(scenarios.map((s, k) => [`${s.kind}: ${s.label}`, s, k] as const))(
    '%s',
    async (_label, scenario, k) => {
      const data = inputsFor(scenario, 1000 + k);
      const compiled = await runCompiled(scenario, data);
      const evaluated = runEvaluator(scenario, data);

      expect(compiled.layer.dtype).toBe('int64');
      expect(Array.from(compiled.layer.data)).toEqual(Array.from(evaluated.exitLayer));
      // The kept logits are copies of one exit's head output: bit-identical.
      expect(Array.from(compiled.logits.data)).toEqual(Array.from(evaluated.logits));
      // Confidences come out of float32 kernels (softmax, sigmoid, Gemm): a few ulps apart (the lambda MLP stacks Gemm + tanh blocks).
      const worst = Math.max(
        ...Array.from(evaluated.confidence, (v, b) => ulps32(v, compiled.confidence.data[b]!)),
      );
      expect(worst).toBeLessThanOrEqual(16);

      // The scenario is informative: exits spread over several layers, min_exit holds.
      const taken = new Set(evaluated.exitLayer);
      expect(taken.size).toBeGreaterThan(1);
      expect(Math.min(...taken)).toBeGreaterThanOrEqual(scenario.minExit ?? 1);
    },
  );
});
