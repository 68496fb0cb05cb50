/**
 * ONNX operator version histories: every opset version in which an operator's schema changed.
 *
 * Source: onnx/onnx `docs/Operators.md` ("available since version N" plus "Other versions of this
 * operator") at commit f7546912001bc31e92a238b17068a21b373d882e (ONNX 1.23.0 dev, 2026-08-22). Versions
 * above 25 (e.g. Range-27) are ONNX development opsets not yet in any release.
 * Contrib ops in `com.microsoft` have a single version, 1 (onnxruntime `contrib_ops` registrations).
 *
 * Only the operators that Offramp's inputs (BERT/GPT-2/Mamba exports) and its own rewrites use are
 * listed; an operator missing here is reported, never guessed.
 */
export const ONNX_DOMAIN = 'ai.onnx';
export const MICROSOFT_DOMAIN = 'com.microsoft';

/** ai.onnx operator → ascending since-versions. */
const ONNX_OPERATOR_VERSIONS: Readonly<Record<string, readonly number[]>> = {
  Abs: [1, 6, 13],
  Acos: [7, 22],
  Add: [1, 6, 7, 13, 14],
  And: [1, 7],
  ArgMax: [1, 11, 12, 13],
  ArgMin: [1, 11, 12, 13],
  Cast: [1, 6, 9, 13, 19, 21, 23, 24, 25],
  Ceil: [1, 6, 13],
  Clip: [1, 6, 11, 12, 13],
  Concat: [1, 4, 11, 13],
  Constant: [1, 9, 11, 12, 13, 19, 21, 23, 24, 25],
  ConstantOfShape: [9, 20, 21, 23, 24, 25],
  Conv: [1, 11, 22],
  CumSum: [11, 14],
  Div: [1, 6, 7, 13, 14],
  Dropout: [1, 6, 7, 10, 12, 13, 22],
  Einsum: [12],
  Equal: [1, 7, 11, 13, 19],
  Erf: [9, 13],
  Exp: [1, 6, 13],
  Expand: [8, 13],
  Flatten: [1, 9, 11, 13, 21, 23, 24, 25],
  Floor: [1, 6, 13],
  Gather: [1, 11, 13],
  GatherElements: [11, 13],
  GatherND: [11, 12, 13],
  Gelu: [20],
  Gemm: [1, 6, 7, 9, 11, 13],
  Greater: [1, 7, 9, 13],
  GreaterOrEqual: [12, 16],
  Identity: [1, 13, 14, 16, 19, 21, 23, 24, 25],
  If: [1, 11, 13, 16, 19, 21, 23, 24, 25],
  IsNaN: [9, 13, 20],
  LayerNormalization: [17],
  Less: [1, 7, 9, 13],
  LessOrEqual: [12, 16],
  Log: [1, 6, 13],
  LogSoftmax: [1, 11, 13],
  Loop: [1, 11, 13, 16, 19, 21, 23, 24, 25],
  MatMul: [1, 9, 13],
  Max: [1, 6, 8, 12, 13],
  Min: [1, 6, 8, 12, 13],
  Mod: [10, 13],
  Mul: [1, 6, 7, 13, 14],
  Neg: [1, 6, 13],
  NonZero: [9, 13],
  Not: [1],
  Or: [1, 7],
  Pad: [1, 2, 11, 13, 18, 19, 21, 23, 24, 25],
  Pow: [1, 7, 12, 13, 15],
  Range: [11, 27],
  Reciprocal: [1, 6, 13],
  ReduceLogSumExp: [1, 11, 13, 18],
  ReduceMax: [1, 11, 12, 13, 18, 20],
  ReduceMean: [1, 11, 13, 18],
  ReduceMin: [1, 11, 12, 13, 18, 20],
  ReduceSum: [1, 11, 13],
  ReduceSumSquare: [1, 11, 13, 18],
  Relu: [1, 6, 13, 14],
  Reshape: [1, 5, 13, 14, 19, 21, 23, 24, 25],
  Scan: [8, 9, 11, 16, 19, 21, 23, 24, 25],
  ScatterND: [11, 13, 16, 18],
  Shape: [1, 13, 15, 19, 21, 23, 24, 25],
  Sigmoid: [1, 6, 13],
  Sign: [9, 13],
  Size: [1, 13, 19, 21, 23, 24, 25],
  Slice: [1, 10, 11, 13],
  Softmax: [1, 11, 13],
  Softplus: [1, 22],
  Split: [1, 2, 11, 13, 18],
  Sqrt: [1, 6, 13],
  Squeeze: [1, 11, 13, 21, 23, 24, 25],
  Sub: [1, 6, 7, 13, 14],
  Tanh: [1, 6, 13],
  Tile: [1, 6, 13],
  TopK: [1, 10, 11, 24],
  Transpose: [1, 13, 21, 23, 24, 25],
  Trilu: [14],
  Unsqueeze: [1, 11, 13, 21, 23, 24, 25],
  Where: [9, 16],
  Xor: [1, 7],
};

/** com.microsoft contrib operators that exporters and ORT's transformer optimizer emit. */
const MICROSOFT_OPERATOR_VERSIONS: Readonly<Record<string, readonly number[]>> = {
  Attention: [1],
  BiasGelu: [1],
  FastGelu: [1],
  Gelu: [1],
  SkipLayerNormalization: [1],
};

/** The empty domain and `ai.onnx` are the same default domain. */
export function normalizeDomain(domain: string): string {
  return domain === '' ? ONNX_DOMAIN : domain;
}

/** All since-versions of `op` in `domain`, ascending, or undefined when the operator is not in the table. */
export function operatorVersions(op: string, domain: string): readonly number[] | undefined {
  const table = versionTable(normalizeDomain(domain));
  return table && Object.hasOwn(table, op) ? table[op] : undefined;
}

function versionTable(domain: string): Readonly<Record<string, readonly number[]>> | undefined {
  if (domain === ONNX_DOMAIN) return ONNX_OPERATOR_VERSIONS;
  if (domain === MICROSOFT_DOMAIN) return MICROSOFT_OPERATOR_VERSIONS;
  return undefined;
}

/**
 * The schema version a node of `op` resolves to in a model importing `domain` at `opset`: the largest
 * since-version that is ≤ `opset`. Undefined when the operator is unknown or did not exist yet at
 * that opset. This is the number an ORT kernel registration must match ("N+" means exactly N).
 */
export function sinceVersion(op: string, domain: string, opset: number): number | undefined {
  const versions = operatorVersions(op, domain);
  if (!versions) return undefined;
  let resolved: number | undefined;
  for (const version of versions) {
    if (version > opset) break;
    resolved = version;
  }
  return resolved;
}
