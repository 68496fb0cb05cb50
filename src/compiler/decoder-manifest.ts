import type { Graph, Model, Value } from '../ir/index.js';
import {
  CLASSIFIER_STATE_PAST,
  CLASSIFIER_STATE_PRESENT,
  pendingInputName,
  pendingOutputName,
  stateKind,
  stateName,
} from '../passes/index.js';
import { keyFor } from '../passes/name-templates.js';
import { FULL_DEPTH_INPUT } from '../passes/insert-policy.js';
import type { CompilePlan } from '../passes/plan.js';
import type { DecoderSpec } from '../runtime/manifest.js';

/** Whether `value` is computed from the contents of `source` (reading only its shape does not count). */
function reaches(value: Value, source: Value, seen = new Set<Value>()): boolean {
  if (value === source) return true;
  const producer = value.producer;
  if (seen.has(value) || !producer || producer.op === 'Shape' || producer.op === 'Size') return false;
  seen.add(value);
  return producer.inputs.some((v) => v !== undefined && reaches(v, source, seen));
}

/**
 * The number of positions a decoder can attend to: the rows of its position table, a 2-D weight that a
 * Gather indexes by something other than the token ids (GPT-2's `wpe`). Undefined for rotary or other
 * schemes without a table.
 */
function contextLength(graph: Graph, ids: Value): number | undefined {
  for (const node of graph.nodes) {
    if (node.op !== 'Gather') continue;
    const [table, indices] = node.inputs;
    const init = table ? graph.initializers.get(table.name) : undefined;
    const dims = init?.tensor.dims?.map(Number);
    if (dims?.length !== 2 || !indices || reaches(indices, ids)) continue;
    return dims[0];
  }
  return undefined;
}

/** What the runtime needs to drive a compiled decoder step from token to token. */
export function decoderSpec(plan: CompilePlan, model: Model, layers: number): DecoderSpec | undefined {
  const decoder = plan.decoder;
  if (!decoder) return undefined;
  const graph = model.graph;
  const caches: DecoderSpec['caches'][number][] = [];
  const recurrent = decoder.cache === 'keep' || decoder.cache === 'update';
  for (let i = 0; i < layers && recurrent; i++) {
    // Recurrent states (a Mamba block's conv and SSM state): every input the past pattern names for layer i.
    for (const input of graph.inputs) {
      const kind = stateKind(decoder.past, i, input.name);
      if (kind === undefined) continue;
      caches.push({
        past: input.name,
        present: stateName(decoder.present, i, kind),
        shape: (input.type?.shape ?? []).map((d, k) => d ?? `d${k}`),
      });
    }
  }
  // The Mamba confidence classifiers' own states (learned policy with a Mamba classifier), per exit module.
  for (let i = 0; i < layers && recurrent; i++) {
    for (const input of graph.inputs) {
      const kind = stateKind(CLASSIFIER_STATE_PAST, i, input.name);
      if (kind === undefined) continue;
      caches.push({
        past: input.name,
        present: stateName(CLASSIFIER_STATE_PRESENT, i, kind),
        shape: (input.type?.shape ?? []).map((d, k) => d ?? `d${k}`),
      });
    }
  }
  for (let i = 0; i < layers && !recurrent; i++) {
    for (const kind of ['key', 'value']) {
      const past = `${keyFor(decoder.past, i)}${kind}`;
      const input = graph.inputs.find((v) => v.name === past);
      caches.push({
        past,
        present: `${keyFor(decoder.present, i)}${kind}`,
        shape: (input?.type?.shape ?? []).map((d, k) => d ?? `d${k}`),
      });
    }
  }
  const pending: NonNullable<DecoderSpec['pending']>[number][] = [];
  for (let i = 1; i < layers && decoder.cache === 'recompute'; i++) {
    const input = graph.inputs.find((v) => v.name === pendingInputName(i));
    pending.push({
      layer: i + 1,
      input: pendingInputName(i),
      output: pendingOutputName(i),
      shape: (input?.type?.shape ?? []).map((d, k) => d ?? `d${k}`),
    });
  }
  const cacheInputs = new Set([...caches.map((c) => c.past), ...pending.map((p) => p.input)]);
  const ids = graph.inputs.find(
    (v) => !cacheInputs.has(v.name) && v.name !== 'attention_mask' && v.type?.elementType === 7,
  );
  const mask = graph.inputs.find((v) => v.name === 'attention_mask');
  const context = ids ? contextLength(graph, ids) : undefined;
  return {
    cache: decoder.cache,
    idsInput: ids?.name ?? 'input_ids',
    ...(mask ? { attentionMask: mask.name } : {}),
    fullDepthInput: FULL_DEPTH_INPUT,
    caches,
    ...(pending.length > 0 ? { pending } : {}),
    ...(context !== undefined ? { context } : {}),
  };
}
