/**
 * Batch compaction for the segmented driver: rows of exited samples are dropped between segments by moving
 * rows from the end of the batch into their places, so a step moves at most as many rows as exited (the order
 * of rows is free: the driver keeps which sample sits in which row).
 */
import * as ort from 'onnxruntime-node';

/** A typed array, seen through the operations compaction needs. */
interface RowStore {
  readonly constructor: new (length: number) => RowStore;
  readonly length: number;
  subarray(begin: number, end: number): RowStore;
  set(source: RowStore, offset: number): void;
  copyWithin(target: number, start: number, end: number): RowStore;
}

/** A batch-major value between segments. */
export interface BatchValue {
  /** Rows [0, dims[0]) are the live batch. */
  tensor: ort.Tensor;
  /**
   * The driver's to overwrite: a segment's output, or a scratch copy. The caller's inputs are not: their
   * first compaction copies into a scratch buffer.
   */
  owned: boolean;
}

/** Row moves of one compaction: row `from[i]` goes to row `to[i]`. */
export interface RowMoves {
  readonly count: number;
  readonly from: Int32Array;
  readonly to: Int32Array;
}

/**
 * Plans dropping the rows marked in `gone` (first `rows` entries): each gone row below the new batch size is
 * filled with the last kept row; `sample` (row → caller's sample) is updated the same way.
 */
export function planCompaction(gone: Uint8Array, rows: number, sample: Int32Array): RowMoves {
  let leaving = 0;
  for (let r = 0; r < rows; r++) leaving += gone[r]!;
  const kept = rows - leaving;
  const from = new Int32Array(Math.min(leaving, kept));
  const to = new Int32Array(from.length);
  let count = 0;
  let tail = rows - 1;
  for (let hole = 0; hole < kept; hole++) {
    if (!gone[hole]) continue;
    while (gone[tail]) tail--;
    from[count] = tail;
    to[count] = hole;
    sample[hole] = sample[tail]!;
    count++;
    tail--;
  }
  return { count, from, to };
}

/** Scratch buffers for the caller's inputs by name, reused from call to call (one set per concurrent call). */
export class ScratchPool {
  private readonly free: Map<string, RowStore>[] = [];
  take(): Map<string, RowStore> {
    return this.free.pop() ?? new Map();
  }
  give(buffers: Map<string, RowStore>): void {
    this.free.push(buffers);
  }
}

/**
 * Applies `moves` to the value `name` and cuts it to `rows` rows: in place when the driver owns the data,
 * else into the call's scratch buffer for `name` (which it then owns). The new tensor is a view of the same
 * memory: the kept prefix is not copied.
 */
export function compactRows(
  name: string,
  value: BatchValue,
  moves: RowMoves,
  rows: number,
  scratch: Map<string, RowStore>,
): void {
  const tensor = value.tensor;
  const dims = tensor.dims;
  let width = 1;
  for (let d = 1; d < dims.length; d++) width *= dims[d]!;
  const source = tensor.data as unknown as RowStore;
  let target = source;
  if (!value.owned) {
    let buffer = scratch.get(name);
    if (!buffer || buffer.constructor !== source.constructor || buffer.length < rows * width) {
      buffer = new source.constructor(dims[0]! * width);
      scratch.set(name, buffer);
    }
    buffer.set(source.subarray(0, rows * width), 0);
    target = buffer;
  }
  for (let i = 0; i < moves.count; i++) {
    const from = moves.from[i]! * width;
    if (target === source) target.copyWithin(moves.to[i]! * width, from, from + width);
    else target.set(source.subarray(from, from + width), moves.to[i]! * width);
  }
  const shape = dims.slice();
  shape[0] = rows;
  value.tensor = new ort.Tensor(
    tensor.type,
    target.subarray(0, rows * width) as unknown as ort.Tensor.DataType,
    shape,
  );
  value.owned = true;
}
