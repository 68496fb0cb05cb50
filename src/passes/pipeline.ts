import { type Diagnostic, hasErrors } from '../diagnostics/index.js';
import { type Model, readModel, type Value, writeModel } from '../ir/index.js';
import type { CompilerPass } from './compiler-pass.js';
import type { CompileContext, ExitRecord } from './context.js';
import { deferSkippedLayers } from './defer-skipped-layers.js';
import { discoverExitLayers } from './discover-exit-layers.js';
import { fillSkippedCaches } from './fill-skipped-caches.js';
import { fillSkippedStates } from './fill-skipped-states.js';
import { insertExitHeads } from './insert-exit-heads.js';
import { insertPolicy } from './insert-policy.js';
import { makeConditional } from './make-conditional.js';
import { runPasses } from './manager.js';
import type { CompilePlan } from './plan.js';
import { pruneUnused } from './prune-unused.js';
import { SafetensorsWeights } from './weights.js';

/** The chain-form pipeline, in order. */
export const CHAIN_PIPELINE: readonly CompilerPass[] = [
  discoverExitLayers,
  insertExitHeads,
  insertPolicy,
  fillSkippedCaches,
  fillSkippedStates,
  deferSkippedLayers,
  makeConditional,
  pruneUnused,
];

export interface PipelineOptions {
  /** Run the IR verifier after every pass (always on in tests and with `--debug`). */
  readonly verifyEach?: boolean;
  /** Print the IR after these passes (`all` for every pass). */
  readonly printIrAfter?: readonly string[] | 'all';
  /** Log a per-pass timing table through `log`. */
  readonly timing?: boolean;
  readonly log?: (text: string) => void;
  /** Stop after this pass (e.g. to inspect the unconditional form). */
  readonly stopAfter?: string;
  /** Where a failing pipeline (a pass throws or breaks the IR) writes its reproducer. */
  readonly reproducerDir?: string;
}

export interface PipelineResult {
  readonly model?: Model;
  readonly bytes?: Uint8Array;
  readonly diagnostics: Diagnostic[];
  readonly exits: readonly ExitRecord[];
  readonly layers: number;
  /** The hidden state the first layer reads (where the per-sample data path starts). */
  readonly hiddenInput?: Value;
  readonly statistics: Record<string, Record<string, number>>;
  readonly timingsMs: Record<string, number>;
}

/** Imports the backbone and runs the chain-form passes; never throws for user errors. */
export async function runChainPipeline(
  plan: CompilePlan,
  options: PipelineOptions = {},
): Promise<PipelineResult> {
  const imported = await readModel(plan.backbone);
  const diagnostics = [...imported.diagnostics];
  const statistics: Record<string, Record<string, number>> = {};
  const timingsMs: Record<string, number> = {};
  if (!imported.model || hasErrors(diagnostics))
    return { diagnostics, exits: [], layers: 0, statistics, timingsMs };
  const model = imported.model;
  const ctx: CompileContext = {
    plan,
    file: plan.backbone,
    diagnostics,
    exits: [],
    parameterInputs: new Map(),
    weights: new SafetensorsWeights(),
    statistics: {},
  };
  const run = await runPasses(model, CHAIN_PIPELINE, ctx, {
    verifyEach: options.verifyEach ?? false,
    ...(options.printIrAfter ? { printIrAfter: options.printIrAfter } : {}),
    ...(options.timing ? { timing: true } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.stopAfter ? { stopAfter: options.stopAfter } : {}),
    ...(options.reproducerDir ? { reproducerDir: options.reproducerDir } : {}),
    file: plan.backbone,
  });
  for (const r of run.runs) {
    timingsMs[r.name] = r.ms;
    statistics[r.name] = { ...r.statistics };
  }
  if (!run.ok || hasErrors(diagnostics)) {
    return { diagnostics, exits: ctx.exits, layers: ctx.layers?.length ?? 0, statistics, timingsMs };
  }
  return {
    model,
    bytes: writeModel(model),
    diagnostics,
    exits: ctx.exits,
    layers: ctx.layers?.length ?? 0,
    ...(ctx.layers?.[0] ? { hiddenInput: ctx.layers[0].input } : {}),
    statistics,
    timingsMs,
  };
}
