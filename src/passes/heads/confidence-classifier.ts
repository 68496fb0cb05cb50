import { type Builder, ElementType, type Value } from '../../ir/index.js';
import type { CompileContext, ExitRecord } from '../context.js';
import { keyFor, stateName } from '../name-templates.js';
import { HeadWeights } from './head-weights.js';
import { type MambaState, mambaBlock, mambaStateSizes } from './mamba.js';

/** Step inputs/outputs of the Mamba confidence classifiers' own states: `{i}` = 0-based exit module, `*` = conv | ssm. */
export const CLASSIFIER_STATE_PAST = 'offramp.classifier.{i}.*';
export const CLASSIFIER_STATE_PRESENT = 'offramp.classifier.{i}.*.next';

/**
 * The learned policy's confidence classifier when it is a Mamba block (DYNAMAX's Mamba exit classifier): per
 * exit but the last, the block reads the exit layer's hidden states and its two output scores become
 * `ExitRecord.scores`. In a decoder step the block carries its own conv and SSM state from token to token:
 * graph inputs `offramp.classifier.{i}.conv|ssm` (zeros before the first token) and outputs
 * `offramp.classifier.{i}.conv|ssm.next`, recorded on the exit (`classifierState`) for the skipped-state pass.
 * Weights that do not fit are reported by `HeadWeights` (the exit then has no scores).
 */
export function insertConfidenceClassifiers(b: Builder, ctx: CompileContext): void {
  const policy = ctx.plan.policy;
  if (policy.kind !== 'learned' || policy.classifier !== 'mamba') return;
  const weights = new HeadWeights(b, ctx, policy.weightsFile ?? '');
  const prefix = policy.weightsPrefix ?? '';
  const layers = ctx.layers ?? [];
  ctx.exits.forEach((exit: ExitRecord, k) => {
    if (k === ctx.exits.length - 1) return; // the last exit always exits: no classifier
    const index = exit.layer - 1;
    const cut = layers[index]?.output;
    if (!cut) return;
    const key = keyFor(prefix, index);
    const sizes = mambaStateSizes(weights, key);
    let carried: MambaState | undefined;
    if (ctx.plan.decoder && sizes) {
      const input = (kind: string, width: number) =>
        b.addInput(stateName(CLASSIFIER_STATE_PAST, index, kind), {
          elementType: ElementType.float32,
          shape: ['batch', sizes.channels, width],
        });
      carried = { conv: input('conv', sizes.kernel - 1), ssm: input('ssm', sizes.state) };
    }
    const hidden = weights.shape(`${key}in_proj.weight`)?.[1];
    const built = mambaBlock(
      b,
      weights,
      cut,
      key,
      hidden,
      `offramp/exit${exit.layer}/confidence_mamba`,
      carried,
    );
    if (!built) return;
    built.logits.type = { elementType: ElementType.float32 };
    exit.scores = built.logits;
    if (carried && built.state) {
      const output = (value: Value, kind: string) => {
        value.name = stateName(CLASSIFIER_STATE_PRESENT, index, kind);
        value.type = carried[kind as keyof MambaState].type;
        b.graph.outputs.push(value);
        return value;
      };
      exit.classifierState = {
        input: cut,
        past: carried,
        present: { conv: output(built.state.conv, 'conv'), ssm: output(built.state.ssm, 'ssm') },
      };
    }
  });
}
