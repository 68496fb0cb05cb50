import type { Builder, Value } from '../../ir/index.js';
import { activate } from './activation.js';
import type { HeadWeights } from './head-weights.js';

/**
 * A Mamba mixer used as an exit classifier (DYNAMAX's "Mamba block with a modified output projection"),
 * over the layer's hidden states h [B, T, H], read at the last position (the block is causal, so that
 * position has seen the whole input). Per position t, with E = expand·H channels and S state entries:
 *
 *   x, z = split(h·W_inᵀ);  x = silu(causal depthwise conv(x));  dt, B, C = split(x·W_xᵀ)
 *   dt = softplus(dt·W_dtᵀ + b_dt);  A = −exp(A_log)
 *   s_t = exp(dt_t·A) ⊙ s_{t−1} + (dt_t·x_t) ⊗ B_t;  y_t = s_t·C_t + D ⊙ x_t;  out = (y ⊙ silu(z))·W_outᵀ
 *
 * Only s at the last position is needed, so the recurrence is evaluated in closed form without a loop:
 * s_last = Σ_t exp(Σ_{r>t} dt_r·A) ⊙ (dt_t·x_t) ⊗ B_t, the decay sums being one reverse exclusive CumSum.
 * Every exponent is ≤ 0 (dt > 0, A < 0), so nothing overflows, and no Loop or Scan is emitted: the head
 * runs on every target, WebGPU included. Memory is O(T·E·S) per sample.
 */
export function mambaClassifier(
  b: Builder,
  weights: HeadWeights,
  sequence: Value,
  key: string,
  hidden: number | undefined,
  name: string,
): Value | undefined {
  return mambaBlock(b, weights, sequence, key, hidden, name)?.logits;
}

/** A Mamba block's recurrent state: the conv's last K−1 inputs [B, E, K−1] and the SSM state [B, E, S]. */
export interface MambaState {
  readonly conv: Value;
  readonly ssm: Value;
}

/** The state sizes a Mamba block's weights imply: E channels, S state entries, kernel K. */
export function mambaStateSizes(
  weights: HeadWeights,
  key: string,
): { channels: number; state: number; kernel: number } | undefined {
  const e = weights.shape(`${key}in_proj.weight`)?.[0];
  const s = weights.shape(`${key}A_log`)?.[1];
  const k = weights.shape(`${key}conv1d.weight`)?.[2];
  return e !== undefined && s !== undefined && k !== undefined
    ? { channels: e / 2, state: s, kernel: k }
    : undefined;
}

/**
 * The Mamba block over h [B, T, H], optionally continuing from a recurrent state (a decoder step: the block
 * carries its state from token to token). With a state, the conv reads Concat(state.conv, x) instead of
 * zero padding, and the SSM state at the last position gains the carried state decayed over all T steps,
 * exp(Σ_t dt_t·A) ⊙ s₀; the returned state is what the next call continues from. Without one, the state
 * starts at zero (a whole sequence at once) and none is returned.
 */
export function mambaBlock(
  b: Builder,
  weights: HeadWeights,
  sequence: Value,
  key: string,
  hidden: number | undefined,
  name: string,
  carried?: MambaState,
): { logits: Value; state?: MambaState } | undefined {
  const role = 'a Mamba head';
  const inProj = weights.shape(`${key}in_proj.weight`);
  const aLog = weights.shape(`${key}A_log`);
  const dtProj = weights.shape(`${key}dt_proj.weight`);
  const conv = weights.shape(`${key}conv1d.weight`);
  const e = inProj ? inProj[0]! / 2 : undefined;
  const s = aLog?.[1];
  const r = dtProj?.[1];
  const k = conv?.[2];
  const wIn = weights.transposed(`${key}in_proj.weight`, [e === undefined ? undefined : 2 * e, hidden], role);
  const wConv = weights.tensor(`${key}conv1d.weight`, [e, 1, undefined], role);
  const bConv = weights.tensor(`${key}conv1d.bias`, [e], role);
  const rank = r !== undefined && s !== undefined ? r + 2 * s : undefined;
  const wX = weights.transposed(`${key}x_proj.weight`, [rank, e], role);
  const wDt = weights.transposed(`${key}dt_proj.weight`, [e, r], role);
  const bDt = weights.tensor(`${key}dt_proj.bias`, [e], role);
  const a = weights.negatedExp(`${key}A_log`, [e, undefined], role);
  const d = weights.tensor(`${key}D`, [e], role);
  const wOut = weights.transposed(`${key}out_proj.weight`, [undefined, e], role);
  if (!wIn || !wConv || !bConv || !wX || !wDt || !bDt || !a || !d || !wOut) return undefined;
  if (e === undefined || s === undefined || r === undefined || k === undefined) return undefined;

  const ints = (label: string, values: readonly number[]) =>
    b.constant(
      `${name}/${label}`,
      BigInt64Array.from(values, (v) => BigInt(v)),
      [values.length],
    );
  const last = b.scalar(`${name}/last`, -1, 'int64');
  const atLast = (x: Value, label: string) => b.op('Gather', [x, last], { axis: 1 }, `${name}/${label}_last`);

  const xz = b.op('MatMul', [sequence, wIn], {}, `${name}/in_proj`);
  const [xIn, z] = b.add({
    op: 'Split',
    inputs: [xz, ints('split_xz', [e, e])],
    outputs: 2,
    attributes: { axis: -1 },
    name: `${name}/split_xz`,
  }) as [Value, Value];
  // Causal depthwise conv over time: channels first, K−1 zeros on the left only (or the carried K−1
  // inputs), so the length stays T.
  const channelsFirst = b.op('Transpose', [xIn], { perm: [0, 2, 1] }, `${name}/to_channels`);
  const window = carried
    ? b.op('Concat', [carried.conv, channelsFirst], { axis: 2 }, `${name}/conv_window`)
    : channelsFirst;
  const convolved = b.op(
    'Conv',
    [window, wConv, bConv],
    { group: e, kernel_shape: [k], pads: [carried ? 0 : k - 1, 0] },
    `${name}/conv1d`,
  );
  const nextConv = carried
    ? b.op(
        'Slice',
        [
          window,
          ints('conv_keep_from', [-(k - 1)]),
          ints('conv_keep_to', [2 ** 31 - 1]),
          ints('conv_axis', [2]),
        ],
        {},
        `${name}/conv_state`,
      )
    : undefined;
  const x = activate(
    b,
    b.op('Transpose', [convolved], { perm: [0, 2, 1] }, `${name}/to_time`),
    'silu',
    `${name}/act`,
  );

  const dbc = b.op('MatMul', [x, wX], {}, `${name}/x_proj`);
  const [dtLow, bSel, cSel] = b.add({
    op: 'Split',
    inputs: [dbc, ints('split_dbc', [r, s, s])],
    outputs: 3,
    attributes: { axis: -1 },
    name: `${name}/split_dbc`,
  }) as [Value, Value, Value];
  const dt = b.op(
    'Softplus',
    [b.op('Add', [b.op('MatMul', [dtLow, wDt], {}, `${name}/dt_proj`), bDt], {}, `${name}/dt_bias`)],
    {},
    `${name}/dt`,
  );

  const lastAxis = ints('axis_last', [-1]);
  const dtA = b.op('Mul', [b.op('Unsqueeze', [dt, lastAxis], {}, `${name}/dt_col`), a], {}, `${name}/dt_A`);
  const later = b.op(
    'CumSum',
    [dtA, b.scalar(`${name}/time_axis`, 1, 'int64')],
    { exclusive: 1, reverse: 1 },
    `${name}/decay_sum`,
  );
  const decay = b.op('Exp', [later], {}, `${name}/decay`);
  const input = b.op(
    'Unsqueeze',
    [b.op('Mul', [dt, x], {}, `${name}/dt_x`), lastAxis],
    {},
    `${name}/dt_x_col`,
  );
  const written = b.op(
    'Mul',
    [input, b.op('Unsqueeze', [bSel, ints('axis_channel', [2])], {}, `${name}/B_row`)],
    {},
    `${name}/write`,
  );
  const fromInputs = b.op(
    'ReduceSum',
    [b.op('Mul', [decay, written], {}, `${name}/decayed`), ints('axis_time', [1])],
    { keepdims: 0 },
    `${name}/state`,
  );
  // The carried state, decayed over every step of this call (exponent ≤ 0).
  const state = carried
    ? b.op(
        'Add',
        [
          b.op(
            'Mul',
            [
              b.op(
                'Exp',
                [
                  b.op(
                    'ReduceSum',
                    [dtA, ints('axis_time_all', [1])],
                    { keepdims: 0 },
                    `${name}/total_decay_sum`,
                  ),
                ],
                {},
                `${name}/total_decay`,
              ),
              carried.ssm,
            ],
            {},
            `${name}/carried_decayed`,
          ),
          fromInputs,
        ],
        {},
        `${name}/state_carried`,
      )
    : fromInputs;

  const read = b.op('Unsqueeze', [atLast(cSel, 'C'), ints('axis_state', [1])], {}, `${name}/C_row`);
  const y = b.op(
    'ReduceSum',
    [b.op('Mul', [state, read], {}, `${name}/read`), lastAxis],
    { keepdims: 0 },
    `${name}/y`,
  );
  const skip = b.op('Add', [y, b.op('Mul', [atLast(x, 'x'), d], {}, `${name}/skip`)], {}, `${name}/y_skip`);
  const gated = b.op('Mul', [skip, activate(b, atLast(z, 'z'), 'silu', `${name}/gate`)], {}, `${name}/gated`);
  const logits = b.op('MatMul', [gated, wOut], {}, `${name}/out_proj`);
  return nextConv ? { logits, state: { conv: nextConv, ssm: state } } : { logits };
}
