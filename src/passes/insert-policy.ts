import { diagnostic } from '../diagnostics/index.js';
import { Builder, ElementType, Value } from '../ir/index.js';
import { type Carried, type DType, driverStep, type ExitContext, policySpecs } from '../policies/index.js';
import type { CompilerPass } from './compiler-pass.js';
import type { CompileContext } from './context.js';
import { graphOps } from './graph-ops.js';
import { keyFor } from './name-templates.js';
import { policyOptionsOf } from './plan.js';

const CODE: Readonly<Record<DType, number>> = { float32: 1, float64: 11, int64: 7, bool: 9 };

/** Output names of every compiled model: the contract with the runtime and the SDK. */
export const OUTPUT_NAMES = { logits: 'logits', exitLayer: 'exit_layer', confidence: 'confidence' } as const;
export const parameterInputName = (name: string) => `offramp.${name}`;
export const UNIFORM_INPUT = 'offramp.uniforms';
/** Decoder steps: a bool scalar that, when true, disables every early exit (the prompt's prefill). */
export const FULL_DEPTH_INPUT = 'offramp.full_depth';

/**
 * Emits the policy's signal and decision after each exit head, plus the shared driver rules (min_exit,
 * last exit, per-sample masking), from the policy's one specification; makes the carried logits, exit
 * layer and confidence the model's outputs. Parameters become graph inputs with defaults.
 */
export const insertPolicy: CompilerPass = {
  name: 'insert-policy',
  summary: 'Emit the exit policy and the driver rules; expose logits, exit_layer and confidence.',
  requires: ['exit-heads'],
  ensures: ['policy-outputs'],
  run(model, ctx) {
    const spec = policySpecs[ctx.plan.policy.kind];
    const graph = model.graph;
    const b = new Builder(model, graph);
    const before = graph.nodes.length;
    const plan = ctx.plan.policy;

    const parameter = (name: string): Value => {
      const existing = ctx.parameterInputs.get(name);
      if (existing) return existing;
      const decl = spec.parameters.find((p) => p.name === name)!;
      // A plain graph input: onnxruntime's Node and web bindings cannot feed an initializer-backed input,
      // so the default lives in the manifest and the runtime feeds it when the caller does not.
      const shape = decl.perExit ? [ctx.exits.length] : [];
      const value = new Value(
        b.uniqueName(parameterInputName(name)),
        { elementType: CODE[decl.dtype], shape },
        graph,
      );
      graph.inputs.push(value);
      ctx.parameterInputs.set(name, value);
      return value;
    };
    const weightCache = new Map<string, Value>();
    const weightFor =
      (moduleIndex: number) =>
      (key: string): Value => {
        const full = keyFor(`${plan.weightsPrefix ?? ''}${key}`, moduleIndex);
        const cached = weightCache.get(full);
        if (cached) return cached;
        const tensor = plan.weightsFile ? ctx.weights.get(plan.weightsFile, full) : undefined;
        if (!tensor) {
          ctx.diagnostics.push(
            diagnostic(
              'OR3003',
              { file: plan.weightsFile ?? '(no weights file)', key: full },
              { graph: { file: plan.weightsFile ?? ctx.plan.backbone } },
            ),
          );
          const dummy = b.constant(`offramp/missing/${full}`, new Float32Array(1), [1]);
          weightCache.set(full, dummy);
          return dummy;
        }
        const value = b.constant(`offramp/${full}`, tensor.data, tensor.shape);
        weightCache.set(full, value);
        return value;
      };

    let uniforms: Value | undefined;
    if (spec.needsUniform) {
      uniforms = new Value(
        b.uniqueName(UNIFORM_INPUT),
        { elementType: ElementType.float32, shape: ['batch', ctx.exits.length] },
        graph,
      );
      graph.inputs.push(uniforms);
    }

    // A decoder's prefill runs the prompt at full depth through the same graph.
    let fullDepth: Value | undefined;
    if (ctx.plan.decoder) {
      fullDepth = new Value(
        b.uniqueName(FULL_DEPTH_INPUT),
        { elementType: ElementType.bool, shape: [] },
        graph,
      );
      graph.inputs.push(fullDepth);
    }
    const declared = ctx.exits[0]?.logits.type?.shape?.[1];
    const classes = typeof declared === 'number' ? declared : classCount(ctx);
    let state: Readonly<Record<string, Value>> | undefined;
    let carried: Carried<Value> | undefined;
    ctx.exits.forEach((record, exitIndex) => {
      const perExit = (name: string) => spec.parameters.find((p) => p.name === name)?.perExit === true;
      const ops = graphOps(
        b,
        { parameter, perExit, weight: weightFor(record.layer - 1), ...(uniforms ? { uniforms } : {}) },
        `offramp/exit${record.layer}/policy`,
      );
      const exit: ExitContext = {
        layer: record.layer,
        exitIndex,
        exitCount: ctx.exits.length,
        classes,
        ...policyOptionsOf(plan),
      };
      record.logits.type = {
        elementType: ElementType.float32,
        ...(record.logits.type?.shape ? { shape: record.logits.type.shape } : {}),
      };
      state ??= spec.init(ops);
      const previous = exitIndex > 0 ? ctx.exits[exitIndex - 1]!.pooled : undefined;
      const uniform = uniforms ? ops.uniform(exitIndex) : undefined;
      const lastExit = exitIndex === ctx.exits.length - 1;
      if (spec.needsPooled && !record.pooled) {
        if (!lastExit) {
          ctx.diagnostics.push(
            diagnostic(
              'OR5001',
              { policy: spec.kind, layer: record.layer },
              { graph: { file: ctx.plan.backbone } },
            ),
          );
          return;
        }
        // The backbone's own final output has no pooled vector; the last exit is forced anyway.
        const confidence = ops.zerosLike(ops.reduceMax(record.logits));
        const forced = ops.equal(confidence, confidence);
        carried = driverStep(ops, carried, { logits: record.logits, exit: forced, confidence }, exit, {
          minExit: ctx.plan.minExit,
        });
        record.carried = carried;
        return;
      }
      const signal = spec.signal(
        ops,
        {
          logits: record.logits,
          ...(record.pooled ? { pooled: record.pooled } : {}),
          ...(previous ? { previousPooled: previous } : {}),
          ...(record.scores ? { scores: record.scores } : {}),
          ...(uniform ? { uniform } : {}),
        },
        exit,
      );
      const step = spec.step(ops, state, signal, exit);
      state = step.state;
      const exits = fullDepth ? ops.and(step.exit, ops.not(fullDepth)) : step.exit;
      carried = driverStep(
        ops,
        carried,
        { logits: record.logits, exit: exits, confidence: step.confidence },
        exit,
        { minExit: ctx.plan.minExit },
      );
      record.carried = carried;
    });
    if (!carried) return { modified: false, statistics: { 'policy-nodes': 0 } };
    const final = carried as Carried<Value>;
    // The backbone's own outputs stop being outputs; free their names for ours.
    for (const old of graph.outputs) {
      if (Object.values(OUTPUT_NAMES).includes(old.name as never))
        old.name = b.uniqueName(`${old.name}/backbone`);
    }
    const named = (value: Value, name: string, shape: (string | number)[]) => {
      const out = b.op('Identity', [value], {}, `offramp/output/${name}`);
      out.name = name;
      out.type = { elementType: value.type?.elementType ?? ElementType.float32, shape };
      return out;
    };
    const c = classes;
    // A decoder's per-layer caches stay outputs, after ours (fill-skipped-caches completes them), and so do
    // the next states of Mamba confidence classifiers.
    const caches = new Set([
      ...(ctx.layers ?? []).flatMap((l) => l.stateOutputs),
      ...ctx.exits.flatMap((e) =>
        e.classifierState ? [e.classifierState.present.conv, e.classifierState.present.ssm] : [],
      ),
    ]);
    graph.outputs = [
      named(final.logits, OUTPUT_NAMES.logits, ['batch', c]),
      named(final.layer, OUTPUT_NAMES.exitLayer, ['batch']),
      named(final.confidence, OUTPUT_NAMES.confidence, ['batch']),
      ...graph.outputs.filter((v) => caches.has(v)),
    ];
    return { modified: true, statistics: { 'policy-nodes': graph.nodes.length - before } };
  },
};

/** The class count (or vocabulary size), from the first exit whose head ends in a Gemm or MatMul by a weight. */
function classCount(ctx: CompileContext): number {
  for (const exit of ctx.exits) {
    const producer = exit.logits.producer;
    // Heads end in a Gemm (pooled heads) or a MatMul with a [in, C] weight (sequence heads, LM heads).
    const weight = producer?.op === 'Gemm' || producer?.op === 'MatMul' ? producer.inputs[1] : undefined;
    const init = weight ? weight.graph.initializers.get(weight.name) : undefined;
    const dims = init?.tensor.dims?.map(Number);
    if (dims && dims.length === 2) return producer?.intAttribute('transB', 0n) === 1n ? dims[0]! : dims[1]!;
  }
  ctx.diagnostics.push(
    diagnostic('OR9001', { detail: `cannot tell the number of classes of '${ctx.exits[0]?.logits.name}'` }),
  );
  return 2;
}
