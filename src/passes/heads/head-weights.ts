import { diagnostic } from '../../diagnostics/index.js';
import type { Builder, Value } from '../../ir/index.js';
import type { CompileContext } from '../context.js';

/** An expected dimension; `undefined` accepts any size. */
export type ExpectedDims = readonly (number | undefined)[];

/**
 * The head weights of one safetensors file as graph initializers: each tensor is checked against the shape
 * its head needs (OR3003 missing, OR3004 wrong shape) and added once, however many exits share it.
 */
export class HeadWeights {
  private readonly cache = new Map<string, Value>();

  constructor(
    private readonly b: Builder,
    private readonly ctx: CompileContext,
    readonly file: string,
  ) {}

  /** The stored shape of `key`, without adding anything to the graph. */
  shape(key: string): readonly number[] | undefined {
    return this.ctx.weights.get(this.file, key)?.shape;
  }

  /** The tensor as stored. */
  tensor(key: string, expected: ExpectedDims, role: string): Value | undefined {
    return this.load(key, expected, role, 'as-stored');
  }

  /**
   * A PyTorch `Linear` weight ([out, in]) transposed to [in, out] at compile time, so a MatMul applies it to
   * activations of any rank (Gemm, which transposes for free, takes only matrices).
   */
  transposed(key: string, expected: ExpectedDims, role: string): Value | undefined {
    return this.load(key, expected, role, 'transposed');
  }

  /** `-exp(A_log)` of a Mamba mixer, as its forward computes it, precomputed once. */
  negatedExp(key: string, expected: ExpectedDims, role: string): Value | undefined {
    return this.load(key, expected, role, 'negated-exp');
  }

  private load(
    key: string,
    expected: ExpectedDims,
    role: string,
    form: 'as-stored' | 'transposed' | 'negated-exp',
  ): Value | undefined {
    const cacheKey = `${form}\u0000${key}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const tensor = this.ctx.weights.get(this.file, key);
    if (!tensor) {
      this.ctx.diagnostics.push(
        diagnostic('OR3003', { file: this.file, key }, { graph: { file: this.file } }),
      );
      return undefined;
    }
    const fits =
      tensor.shape.length === expected.length &&
      expected.every((d, k) => d === undefined || d === tensor.shape[k]);
    if (!fits) {
      const shown = expected.map((d) => d ?? '?').join(', ');
      this.ctx.diagnostics.push(
        diagnostic(
          'OR3004',
          { key, actual: tensor.shape.join(', '), expected: shown, role },
          { graph: { file: this.file } },
        ),
      );
      return undefined;
    }
    let data = tensor.data;
    let dims = tensor.shape;
    if (form === 'transposed') {
      const [rows, cols] = tensor.shape as [number, number];
      data = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) data[c * rows + r] = tensor.data[r * cols + c]!;
      dims = [cols, rows];
    } else if (form === 'negated-exp') {
      data = tensor.data.map((v) => -Math.exp(v));
    }
    const suffix = form === 'transposed' ? '/T' : form === 'negated-exp' ? '/neg_exp' : '';
    const value = this.b.constant(`offramp/${key}${suffix}`, data, dims);
    this.cache.set(cacheKey, value);
    return value;
  }
}
