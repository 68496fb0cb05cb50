import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { initializerBytes } from './external-data.js';
import type { AttributeValue, Graph, Node, Value } from './graph.js';
import type { onnx } from './onnx-types.js';
import { type Dim, ElementType, type TensorType } from './types.js';

/**
 * Static shape and type inference over the IR, with symbolic dimensions (`batch`, `sequence`).
 *
 * Besides types it propagates the *values* of small integer tensors (the `Shape → Gather → Unsqueeze →
 * Concat → Reshape` chains exporters emit), so a Reshape whose target shape is computed at run time still
 * gets its dims. Dims that cannot be known stay `undefined`; a rank that cannot be known leaves the shape
 * `undefined`. onnxruntime does no such value propagation, so on those chains this knows more than its
 * `outputMetadata`.
 */

/** A small integer tensor whose elements are known (each a number, a symbolic dim, or unknown). */
export interface KnownInts {
  readonly shape: readonly number[];
  readonly data: readonly Dim[];
}

/** Only tensors this small have their values tracked (shape vectors, axes, indices). */
const MAX_TRACKED = 64;

export interface InferShapesOptions {
  /** The model's file, for diagnostics. */
  readonly file?: string;
  /** The default-domain opset (decides attribute-vs-input forms such as Unsqueeze axes); default 17. */
  readonly opset?: number;
  /**
   * An If branch output that is an empty placeholder (a zero-element constant, possibly through Identity)
   * stands for a value nothing reads when that branch runs: the If output takes the other branch's type.
   * This is the contract of the compiler's conditional segments (`make-conditional`), whose skip branches
   * give such placeholders; without it their outputs lose their shapes.
   */
  readonly deadPlaceholders?: boolean;
}

export interface InferShapesResult {
  /** How many values got a type they did not have, or a more precise one. */
  readonly updated: number;
  /** OR4015 warnings, one per op type inference does not know. */
  readonly diagnostics: Diagnostic[];
  /**
   * The small integer values inference tracked (initializers and the shape computations built on them):
   * what target legalization folds into constants.
   */
  readonly values: ReadonlyMap<Value, KnownInts>;
}

type Out = (TensorType | undefined)[];

class Inference {
  readonly known = new Map<Value, KnownInts>();
  readonly unknownOps = new Map<string, Node>();
  updated = 0;

  constructor(
    readonly opset: number,
    readonly deadPlaceholders = false,
  ) {}

  /** What a value holds, when it is a small integer constant or a tracked shape computation. */
  ints(v: Value | undefined): KnownInts | undefined {
    if (!v) return undefined;
    return this.known.get(v);
  }

  intList(v: Value | undefined): number[] | undefined {
    const k = this.ints(v);
    if (!k?.data.every((d) => typeof d === 'number')) return undefined;
    return k.data as number[];
  }

  seedInitializers(graph: Graph): void {
    for (const init of graph.initializers.values()) {
      const known = intsOfTensor(init.tensor, () => initializerBytes(init));
      if (known) this.known.set(init.value, known);
    }
  }

  set(value: Value, inferred: TensorType | undefined): void {
    if (!inferred || value.name === '') return;
    const merged = mergeTypes(value.type, inferred);
    if (!sameType(merged, value.type)) {
      value.type = merged;
      this.updated++;
    }
  }

  graph(graph: Graph): void {
    this.seedInitializers(graph);
    for (const node of graph.nodes) {
      const outputs = this.node(node);
      for (const [k, v] of node.outputs.entries()) this.set(v, outputs[k]);
    }
  }

  node(node: Node): Out {
    const domain = node.domain === 'ai.onnx' ? '' : node.domain;
    const rule = domain === '' ? RULES[node.op] : CONTRIB_RULES[`${domain}.${node.op}`];
    if (!rule) {
      if (!this.unknownOps.has(`${domain}.${node.op}`)) this.unknownOps.set(`${domain}.${node.op}`, node);
      return [];
    }
    return rule(node, this);
  }
}

function sameType(a: TensorType | undefined, b: TensorType | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.elementType !== b.elementType) return false;
  if (!a.shape || !b.shape) return a.shape === b.shape;
  return a.shape.length === b.shape.length && a.shape.every((d, k) => d === b.shape![k]);
}

/** Inferred facts win; declared dims fill what inference could not know. */
function mergeTypes(declared: TensorType | undefined, inferred: TensorType): TensorType {
  if (!declared) return inferred;
  const elementType = inferred.elementType || declared.elementType;
  const a = declared.shape;
  const b = inferred.shape;
  if (!b) return a ? { elementType, shape: a } : { elementType };
  if (!a || a.length !== b.length) return { elementType, shape: b };
  return { elementType, shape: b.map((d, k) => d ?? a[k]) };
}

/** Values of an int32/int64 tensor small enough to track. */
function intsOfTensor(tensor: onnx.ITensorProto, bytes: () => Uint8Array | undefined): KnownInts | undefined {
  const type = tensor.dataType ?? 0;
  if (type !== ElementType.int64 && type !== ElementType.int32) return undefined;
  const shape = (tensor.dims ?? []).map(Number);
  const count = shape.reduce((n, d) => n * d, 1);
  if (count > MAX_TRACKED) return undefined;
  if (type === ElementType.int64 && tensor.int64Data && tensor.int64Data.length > 0)
    return { shape, data: tensor.int64Data.map((v) => Number(v.toString())) };
  if (type === ElementType.int32 && tensor.int32Data && tensor.int32Data.length > 0)
    return { shape, data: [...tensor.int32Data] };
  const raw = bytes();
  if (!raw) return count === 0 ? { shape, data: [] } : undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size = type === ElementType.int64 ? 8 : 4;
  if (raw.byteLength < count * size) return undefined;
  const data: number[] = [];
  for (let k = 0; k < count; k++)
    data.push(size === 8 ? Number(view.getBigInt64(k * 8, true)) : view.getInt32(k * 4, true));
  return { shape, data };
}

// ---------------------------------------------------------------------------------------------------
// Dimension arithmetic

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Numpy broadcasting of two shapes; conflicting symbols become unknown. */
function broadcast(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let k = 0; k < rank; k++) {
    const x = k < rank - a.length ? 1 : a[k - (rank - a.length)];
    const y = k < rank - b.length ? 1 : b[k - (rank - b.length)];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === y) out.push(x);
    else if (typeof x === 'number' && y === undefined) out.push(x);
    else if (typeof y === 'number' && x === undefined) out.push(y);
    else out.push(undefined);
  }
  return out;
}

function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  if (a === undefined || b === undefined) return undefined;
  return `${a} + ${b}`;
}

function mulDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === undefined || b === undefined) return undefined;
  return `${a}*${b}`;
}

/** A product of dims as a coefficient and sorted symbols, to divide symbolic sizes in Reshape's `-1`. */
function factor(dims: readonly Dim[]): { coefficient: number; symbols: string[] } | undefined {
  let coefficient = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (d === undefined) return undefined;
    if (typeof d === 'number') coefficient *= d;
    else symbols.push(...d.split('*'));
  }
  return { coefficient, symbols: symbols.sort() };
}

function divideDims(total: readonly Dim[], known: readonly Dim[]): Dim {
  const t = factor(total);
  const k = factor(known);
  if (!t || !k || k.coefficient === 0 || t.coefficient % k.coefficient !== 0) return undefined;
  const rest = [...t.symbols];
  for (const s of k.symbols) {
    const at = rest.indexOf(s);
    if (at < 0) return undefined;
    rest.splice(at, 1);
  }
  const coefficient = t.coefficient / k.coefficient;
  if (rest.length === 0) return coefficient;
  return [...(coefficient === 1 ? [] : [String(coefficient)]), ...rest].join('*');
}

// ---------------------------------------------------------------------------------------------------
// Attributes

function intAttr(node: Node, name: string, fallback: number): number {
  const a = node.attributes.get(name);
  return a?.kind === 'int' ? Number(a.value) : fallback;
}

function intsAttr(node: Node, name: string): number[] | undefined {
  const a = node.attributes.get(name);
  return a?.kind === 'ints' ? a.value.map(Number) : undefined;
}

function tensorAttr(a: AttributeValue | undefined): onnx.ITensorProto | undefined {
  return a?.kind === 'tensor' ? a.value : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Rules

type Rule = (node: Node, inf: Inference) => Out;

const typeOf = (v: Value | undefined) => v?.type;
const shapeOf = (v: Value | undefined) => v?.type?.shape;
const elemOf = (v: Value | undefined) => v?.type?.elementType ?? 0;

function tensor(elementType: number, shape: readonly Dim[] | undefined): TensorType | undefined {
  if (!elementType) return undefined;
  return shape ? { elementType, shape: [...shape] } : { elementType };
}

/** Same type and shape as the first input. */
const sameAsInput: Rule = (node) => [typeOf(node.inputs[0])];

/** Broadcasting binary (or variadic) ops whose result has the inputs' element type. */
const broadcasting =
  (elementType?: number): Rule =>
  (node, inf) => {
    const present = node.inputs.filter((v): v is Value => v !== undefined);
    let shape = shapeOf(present[0]);
    for (const v of present.slice(1)) shape = broadcast(shape, shapeOf(v));
    const out = tensor(elementType ?? elemOf(present[0]), shape);
    propagateArithmetic(node, inf);
    return [out];
  };

/** Elementwise integer arithmetic on tracked values (shape computations). */
function propagateArithmetic(node: Node, inf: Inference): void {
  const [a, b] = [inf.ints(node.inputs[0]), inf.ints(node.inputs[1])];
  if (!a || !b || !node.outputs[0]) return;
  const n = Math.max(a.data.length, b.data.length);
  if ((a.data.length !== n && a.data.length !== 1) || (b.data.length !== n && b.data.length !== 1)) return;
  const at = (k: KnownInts, i: number) => k.data[k.data.length === 1 ? 0 : i];
  const data: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = at(a, i);
    const y = at(b, i);
    const numeric = typeof x === 'number' && typeof y === 'number';
    switch (node.op) {
      case 'Add':
        data.push(addDims(x, y));
        break;
      case 'Mul':
        data.push(mulDims(x, y));
        break;
      case 'Sub':
        data.push(numeric ? x - y : y === 0 ? x : undefined);
        break;
      case 'Div':
        data.push(numeric && y !== 0 ? Math.trunc(x / y) : y === 1 ? x : undefined);
        break;
      default:
        return;
    }
  }
  const shape = a.shape.length >= b.shape.length ? a.shape : b.shape;
  inf.known.set(node.outputs[0], { shape, data });
}

const comparison: Rule = (node, inf) => broadcasting(ElementType.bool)(node, inf);

const matMul: Rule = (node) => {
  const a = shapeOf(node.inputs[0]);
  const b = shapeOf(node.inputs[1]);
  const elementType = elemOf(node.inputs[0]);
  if (!a || !b || a.length === 0 || b.length === 0) return [tensor(elementType, undefined)];
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcast(a2.slice(0, -2), b2.slice(0, -2));
  if (!batch) return [tensor(elementType, undefined)];
  const shape: Dim[] = [...batch];
  if (a.length > 1) shape.push(a2.at(-2));
  if (b.length > 1) shape.push(b2.at(-1));
  return [tensor(elementType, shape)];
};

const gemm: Rule = (node) => {
  const a = shapeOf(node.inputs[0]);
  const b = shapeOf(node.inputs[1]);
  const m = a ? (intAttr(node, 'transA', 0) ? a[1] : a[0]) : undefined;
  const n = b ? (intAttr(node, 'transB', 0) ? b[0] : b[1]) : undefined;
  return [tensor(elemOf(node.inputs[0]), [m, n])];
};

const layerNorm: Rule = (node) => {
  const x = typeOf(node.inputs[0]);
  const shape = x?.shape;
  const axis = shape ? normalizeAxis(intAttr(node, 'axis', -1), shape.length) : 0;
  const reduced = shape ? shape.map((d, k) => (k < axis ? d : 1)) : undefined;
  const stash = intAttr(node, 'stash_type', ElementType.float32);
  return [x, tensor(stash, reduced), tensor(stash, reduced)];
};

const gather: Rule = (node, inf) => {
  const data = shapeOf(node.inputs[0]);
  const indices = shapeOf(node.inputs[1]);
  const elementType = elemOf(node.inputs[0]);
  const known = inf.ints(node.inputs[0]);
  const idx = inf.intList(node.inputs[1]);
  const axis = data ? normalizeAxis(intAttr(node, 'axis', 0), data.length) : 0;
  if (known && idx && known.shape.length === 1 && axis === 0 && node.outputs[0]) {
    const n = known.data.length;
    const idxShape = inf.ints(node.inputs[1])!.shape;
    inf.known.set(node.outputs[0], {
      shape: idxShape,
      data: idx.map((i) => known.data[i < 0 ? i + n : i]),
    });
  }
  if (!data || !indices) return [tensor(elementType, undefined)];
  return [tensor(elementType, [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)])];
};

const reshape: Rule = (node, inf) => {
  const input = shapeOf(node.inputs[0]);
  const target = inf.ints(node.inputs[1]);
  const elementType = elemOf(node.inputs[0]);
  if (!target) {
    const rank = shapeOf(node.inputs[1])?.[0];
    return [tensor(elementType, typeof rank === 'number' ? Array(rank).fill(undefined) : undefined)];
  }
  const allowZero = intAttr(node, 'allowzero', 0) === 1;
  const dims: Dim[] = target.data.map((d, k) => (d === 0 && !allowZero ? input?.[k] : d));
  const minus = dims.indexOf(-1);
  if (minus >= 0) {
    dims[minus] = input
      ? divideDims(
          input,
          dims.filter((_, k) => k !== minus),
        )
      : undefined;
  }
  const values = inf.ints(node.inputs[0]);
  if (node.outputs[0] && values && dims.every((d) => typeof d === 'number'))
    inf.known.set(node.outputs[0], { shape: dims as number[], data: values.data });
  return [tensor(elementType, dims)];
};

const transpose: Rule = (node) => {
  const input = shapeOf(node.inputs[0]);
  const elementType = elemOf(node.inputs[0]);
  if (!input) return [tensor(elementType, undefined)];
  const perm = intsAttr(node, 'perm') ?? input.map((_, k) => input.length - 1 - k);
  return [
    tensor(
      elementType,
      perm.map((p) => input[p]),
    ),
  ];
};

const concat: Rule = (node, inf) => {
  const inputs = node.inputs.filter((v): v is Value => v !== undefined);
  const elementType = elemOf(inputs[0]);
  const shapes = inputs.map(shapeOf);
  const knowns = inputs.map((v) => inf.ints(v));
  if (knowns.every((k) => k && k.shape.length === 1) && node.outputs[0]) {
    const data = knowns.flatMap((k) => [...k!.data]);
    inf.known.set(node.outputs[0], { shape: [data.length], data });
  }
  const first = shapes.find((s) => s !== undefined);
  if (!first) return [tensor(elementType, undefined)];
  const axis = normalizeAxis(intAttr(node, 'axis', 0), first.length);
  const out: Dim[] = first.map((_, k) => {
    if (k === axis) return shapes.reduce<Dim>((sum, s) => (s ? addDims(sum, s[k]) : undefined), 0);
    return shapes.map((s) => s?.[k]).find((d) => d !== undefined);
  });
  if (shapes.some((s) => !s)) out[axis] = undefined;
  return [tensor(elementType, out)];
};

const INT64_MAX_ISH = 2 ** 62;

const slice: Rule = (node, inf) => {
  const input = shapeOf(node.inputs[0]);
  const elementType = elemOf(node.inputs[0]);
  const fromAttributes = inf.opset < 10;
  const starts = fromAttributes ? intsAttr(node, 'starts') : inf.intList(node.inputs[1]);
  const ends = fromAttributes ? intsAttr(node, 'ends') : inf.intList(node.inputs[2]);
  const axesGiven = fromAttributes ? intsAttr(node, 'axes') : inf.intList(node.inputs[3]);
  const stepsGiven = fromAttributes ? undefined : inf.intList(node.inputs[4]);
  if (!input) return [tensor(elementType, undefined)];
  if (!starts || !ends)
    return [
      tensor(
        elementType,
        input.map(() => undefined),
      ),
    ];
  const axes = axesGiven ?? starts.map((_, k) => k);
  const steps = stepsGiven ?? starts.map(() => 1);
  const out: Dim[] = [...input];
  const known = inf.ints(node.inputs[0]);
  let knownData: Dim[] | undefined = known && known.shape.length === 1 ? [...known.data] : undefined;
  axes.forEach((rawAxis, k) => {
    const axis = normalizeAxis(rawAxis, input.length);
    const dim = input[axis];
    const start = starts[k]!;
    const end = ends[k]!;
    const step = steps[k] ?? 1;
    if (typeof dim !== 'number') {
      // A symbolic dim survives only the full slice [0:∞:1].
      out[axis] = start === 0 && end >= INT64_MAX_ISH && step === 1 ? dim : undefined;
      knownData = undefined;
      return;
    }
    const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
    const s =
      step > 0
        ? clamp(start < 0 ? start + dim : start, 0, dim)
        : clamp(start < 0 ? start + dim : start, -1, dim - 1);
    const e =
      step > 0 ? clamp(end < 0 ? end + dim : end, 0, dim) : clamp(end < 0 ? end + dim : end, -1, dim - 1);
    out[axis] = Math.max(0, Math.ceil((e - s) / step));
    if (knownData && axis === 0) {
      const picked: Dim[] = [];
      for (let i = s; step > 0 ? i < e : i > e; i += step) picked.push(knownData[i]);
      knownData = picked;
    }
  });
  if (knownData && node.outputs[0])
    inf.known.set(node.outputs[0], { shape: [knownData.length], data: knownData });
  return [tensor(elementType, out)];
};

function axesOf(
  node: Node,
  inf: Inference,
  inputIndex: number,
  attributeSince: number,
): number[] | undefined {
  return inf.opset < attributeSince ? intsAttr(node, 'axes') : inf.intList(node.inputs[inputIndex]);
}

const unsqueeze: Rule = (node, inf) => {
  const input = shapeOf(node.inputs[0]);
  const elementType = elemOf(node.inputs[0]);
  const axes = axesOf(node, inf, 1, 13);
  const known = inf.ints(node.inputs[0]);
  if (known && node.outputs[0]) {
    inf.known.set(node.outputs[0], { shape: [known.data.length], data: known.data });
  }
  if (!input || !axes) return [tensor(elementType, undefined)];
  const rank = input.length + axes.length;
  const at = new Set(axes.map((a) => normalizeAxis(a, rank)));
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : input[k++]);
  return [tensor(elementType, out)];
};

const squeeze: Rule = (node, inf) => {
  const input = shapeOf(node.inputs[0]);
  const elementType = elemOf(node.inputs[0]);
  const axes = axesOf(node, inf, 1, 13);
  const known = inf.ints(node.inputs[0]);
  if (known && node.outputs[0]) inf.known.set(node.outputs[0], { shape: [], data: known.data });
  if (!input) return [tensor(elementType, undefined)];
  if (!axes) {
    if (input.some((d) => d === undefined || typeof d === 'string')) return [tensor(elementType, undefined)];
    return [
      tensor(
        elementType,
        input.filter((d) => d !== 1),
      ),
    ];
  }
  const drop = new Set(axes.map((a) => normalizeAxis(a, input.length)));
  return [
    tensor(
      elementType,
      input.filter((_, k) => !drop.has(k)),
    ),
  ];
};

const cast: Rule = (node, inf) => {
  const known = inf.ints(node.inputs[0]);
  const to = intAttr(node, 'to', 0);
  if (known && node.outputs[0] && (to === ElementType.int64 || to === ElementType.int32))
    inf.known.set(node.outputs[0], known);
  return [tensor(to, shapeOf(node.inputs[0]))];
};

const castLike: Rule = (node) => [tensor(elemOf(node.inputs[1]), shapeOf(node.inputs[0]))];

const where: Rule = (node) => [
  tensor(
    elemOf(node.inputs[1]),
    broadcast(broadcast(shapeOf(node.inputs[0]), shapeOf(node.inputs[1])), shapeOf(node.inputs[2])),
  ),
];

/** Reductions: axes from the attribute (before `inputSince`) or the second input. */
const reduce =
  (inputSince: number, elementType?: number): Rule =>
  (node, inf) => {
    const input = shapeOf(node.inputs[0]);
    const type = elementType ?? elemOf(node.inputs[0]);
    if (!input) return [tensor(type, undefined)];
    const keep = intAttr(node, 'keepdims', 1) === 1;
    let axes = inf.opset < inputSince ? intsAttr(node, 'axes') : inf.intList(node.inputs[1]);
    const axesInputMissing = inf.opset >= inputSince && node.inputs[1] === undefined;
    if (axesInputMissing || (axes && axes.length === 0)) {
      if (intAttr(node, 'noop_with_empty_axes', 0) === 1) return [tensor(type, input)];
      axes = input.map((_, k) => k);
    }
    if (!axes) return [tensor(type, undefined)];
    const set = new Set(axes.map((a) => normalizeAxis(a, input.length)));
    const out = keep ? input.map((d, k) => (set.has(k) ? 1 : d)) : input.filter((_, k) => !set.has(k));
    return [tensor(type, out)];
  };

const argReduce: Rule = (node) => {
  const input = shapeOf(node.inputs[0]);
  if (!input) return [tensor(ElementType.int64, undefined)];
  const axis = normalizeAxis(intAttr(node, 'axis', 0), input.length);
  const keep = intAttr(node, 'keepdims', 1) === 1;
  const out = keep ? input.map((d, k) => (k === axis ? 1 : d)) : input.filter((_, k) => k !== axis);
  return [tensor(ElementType.int64, out)];
};

const topK: Rule = (node, inf) => {
  const input = shapeOf(node.inputs[0]);
  const elementType = elemOf(node.inputs[0]);
  if (!input) return [tensor(elementType, undefined), tensor(ElementType.int64, undefined)];
  const axis = normalizeAxis(intAttr(node, 'axis', -1), input.length);
  const k = inf.intList(node.inputs[1])?.[0];
  const out = input.map((d, i) => (i === axis ? k : d));
  return [tensor(elementType, out), tensor(ElementType.int64, out)];
};

const shape: Rule = (node, inf) => {
  const input = shapeOf(node.inputs[0]);
  if (!input) return [tensor(ElementType.int64, [undefined])];
  const rank = input.length;
  const clampAxis = (a: number) => Math.max(0, Math.min(rank, a < 0 ? a + rank : a));
  const start = clampAxis(intAttr(node, 'start', 0));
  const end = clampAxis(intAttr(node, 'end', rank));
  const dims = input.slice(start, Math.max(start, end));
  if (node.outputs[0]) inf.known.set(node.outputs[0], { shape: [dims.length], data: dims });
  return [tensor(ElementType.int64, [dims.length])];
};

const size: Rule = (node, inf) => {
  const input = shapeOf(node.inputs[0]);
  if (input && node.outputs[0]) {
    const total = input.reduce<Dim>((p, d) => mulDims(p, d), 1);
    inf.known.set(node.outputs[0], { shape: [], data: [total] });
  }
  return [tensor(ElementType.int64, [])];
};

const constant: Rule = (node, inf) => {
  const value = tensorAttr(node.attributes.get('value'));
  const out = node.outputs[0];
  if (value) {
    const known = intsOfTensor(value, () => value.rawData ?? undefined);
    if (known && out) inf.known.set(out, known);
    return [tensor(value.dataType ?? 0, (value.dims ?? []).map(Number))];
  }
  const a = [...node.attributes.entries()][0];
  if (!a) return [];
  const [name, attr] = a;
  if (name === 'value_int' && attr.kind === 'int') {
    if (out) inf.known.set(out, { shape: [], data: [Number(attr.value)] });
    return [tensor(ElementType.int64, [])];
  }
  if (name === 'value_ints' && attr.kind === 'ints') {
    if (out) inf.known.set(out, { shape: [attr.value.length], data: attr.value.map(Number) });
    return [tensor(ElementType.int64, [attr.value.length])];
  }
  if (name === 'value_float') return [tensor(ElementType.float32, [])];
  if (name === 'value_floats' && attr.kind === 'floats')
    return [tensor(ElementType.float32, [attr.value.length])];
  if (name === 'value_string') return [tensor(ElementType.string, [])];
  if (name === 'value_strings' && attr.kind === 'strings')
    return [tensor(ElementType.string, [attr.value.length])];
  return [];
};

const constantOfShape: Rule = (node, inf) => {
  const value = tensorAttr(node.attributes.get('value'));
  const elementType = value?.dataType ?? ElementType.float32;
  const dims = inf.ints(node.inputs[0]);
  if (dims) return [tensor(elementType, dims.data)];
  const rank = shapeOf(node.inputs[0])?.[0];
  return [tensor(elementType, typeof rank === 'number' ? Array(rank).fill(undefined) : undefined)];
};

const expand: Rule = (node, inf) => {
  const target = inf.ints(node.inputs[1]);
  const elementType = elemOf(node.inputs[0]);
  if (!target) return [tensor(elementType, undefined)];
  // Expand's -1/1 rules equal broadcasting; an unknown target dim stays unknown unless the input fixes it.
  return [tensor(elementType, broadcast(shapeOf(node.inputs[0]), target.data))];
};

const range: Rule = (node, inf) => {
  const [start, limit, delta] = [1, 2, 3].map((k) => inf.ints(node.inputs[k - 1])?.data[0]);
  const elementType = elemOf(node.inputs[0]);
  let length: Dim;
  if (typeof start === 'number' && typeof limit === 'number' && typeof delta === 'number' && delta !== 0)
    length = Math.max(0, Math.ceil((limit - start) / delta));
  else if (start === 0 && delta === 1) length = limit;
  return [tensor(elementType, [length])];
};

/** A zero-element constant (initializer in any enclosing scope), directly or through one Identity. */
function isEmptyPlaceholder(value: Value | undefined): boolean {
  const v = value?.producer?.op === 'Identity' ? value.producer.inputs[0] : value;
  if (!v || v.producer) return false;
  for (let g: Graph | undefined = v.graph; g; g = g.parent) {
    const init = g.initializers.get(v.name);
    if (init?.value === v) return (init.tensor.dims ?? []).some((d) => Number(d) === 0);
  }
  return false;
}

const ifRule: Rule = (node, inf) => {
  const branches = node.subgraphs();
  for (const g of branches) inf.graph(g);
  const [a, b] = branches.map((g) => g.outputs);
  if (!a || !b) return [];
  return node.outputs.map((_, k) => {
    const t1 = a[k]?.type;
    const t2 = b[k]?.type;
    if (inf.deadPlaceholders && isEmptyPlaceholder(a[k])) return t2;
    if (inf.deadPlaceholders && isEmptyPlaceholder(b[k])) return t1;
    if (!t1 || !t2) return t1 ?? t2;
    if (!t1.shape || !t2.shape || t1.shape.length !== t2.shape.length)
      return tensor(t1.elementType, undefined);
    return tensor(
      t1.elementType,
      t1.shape.map((d, i) => (d === t2.shape![i] ? d : undefined)),
    );
  });
};

/** The body graph of a Loop or Scan, and `ints` of a node attribute. */
const bodyOf = (node: Node) => node.subgraphs()[0];

/**
 * Loop: the body sees (iteration int64 scalar, condition bool scalar, carried values typed as their initial
 * values); outputs are the final carried values, then each scan output stacked along a new leading axis whose
 * length is the trip count when it is a known constant.
 */
const loop: Rule = (node, inf) => {
  const body = bodyOf(node);
  if (!body) return [];
  const carried = node.inputs.slice(2);
  body.inputs.forEach((input, k) => {
    if (k === 0) inf.set(input, tensor(ElementType.int64, []));
    else if (k === 1) inf.set(input, tensor(ElementType.bool, []));
    else inf.set(input, typeOf(carried[k - 2]));
  });
  inf.graph(body);
  const trips = inf.intList(node.inputs[0])?.[0];
  const n = carried.length;
  return node.outputs.map((_, k) => {
    const out = body.outputs[k + 1]?.type;
    if (k < n) return out ?? typeOf(carried[k]);
    if (!out) return undefined;
    return tensor(out.elementType, out.shape ? [trips, ...out.shape] : undefined);
  });
};

/**
 * Scan (opset 9+): the body sees the N states and one slice of each scan input (the scan axis removed);
 * outputs are the final states, then each scan output stacked along its scan axis with the sequence length.
 */
const scan: Rule = (node, inf) => {
  const body = bodyOf(node);
  if (!body) return [];
  const scanInputs = Number(node.intAttribute('num_scan_inputs', 0n));
  const n = node.inputs.length - scanInputs;
  const inputAxes = intsAttr(node, 'scan_input_axes');
  const outputAxes = intsAttr(node, 'scan_output_axes');
  let length: Dim;
  for (const [k, input] of body.inputs.entries()) {
    const outer = typeOf(node.inputs[k]);
    if (k < n) {
      inf.set(input, outer);
      continue;
    }
    const shape = outer?.shape;
    if (!outer || !shape) {
      inf.set(input, outer && tensor(outer.elementType, undefined));
      continue;
    }
    const axis = normalizeAxis(inputAxes?.[k - n] ?? 0, shape.length);
    length ??= shape[axis];
    inf.set(
      input,
      tensor(
        outer.elementType,
        shape.filter((_, d) => d !== axis),
      ),
    );
  }
  inf.graph(body);
  return node.outputs.map((_, k) => {
    const out = body.outputs[k]?.type;
    if (k < n || !out) return out ?? typeOf(node.inputs[k]);
    if (!out.shape) return tensor(out.elementType, undefined);
    const axis = normalizeAxis(outputAxes?.[k - n] ?? 0, out.shape.length + 1);
    return tensor(out.elementType, [...out.shape.slice(0, axis), length, ...out.shape.slice(axis)]);
  });
};

const split: Rule = (node, inf) => {
  const input = shapeOf(node.inputs[0]);
  const elementType = elemOf(node.inputs[0]);
  const count = node.outputs.length;
  if (!input) return node.outputs.map(() => tensor(elementType, undefined));
  const axis = normalizeAxis(intAttr(node, 'axis', 0), input.length);
  const sizes = inf.opset < 13 ? intsAttr(node, 'split') : inf.intList(node.inputs[1]);
  const dim = input[axis];
  return node.outputs.map((_, k) => {
    let part: Dim;
    if (sizes) part = sizes[k];
    else if (typeof dim === 'number') part = dim % count === 0 ? dim / count : undefined;
    return tensor(
      elementType,
      input.map((d, i) => (i === axis ? part : d)),
    );
  });
};

const flatten: Rule = (node) => {
  const input = shapeOf(node.inputs[0]);
  const elementType = elemOf(node.inputs[0]);
  if (!input) return [tensor(elementType, [undefined, undefined])];
  const axis = normalizeAxis(intAttr(node, 'axis', 1), input.length);
  const product = (dims: readonly Dim[]) => dims.reduce<Dim>((p, d) => mulDims(p, d), 1);
  return [tensor(elementType, [product(input.slice(0, axis)), product(input.slice(axis))])];
};

const dropout: Rule = (node) => [typeOf(node.inputs[0]), tensor(ElementType.bool, shapeOf(node.inputs[0]))];

const nonZero: Rule = (node) => {
  const input = shapeOf(node.inputs[0]);
  return [tensor(ElementType.int64, [input?.length, undefined])];
};

const gatherElements: Rule = (node) => [tensor(elemOf(node.inputs[0]), shapeOf(node.inputs[1]))];

const identityWithValues: Rule = (node, inf) => {
  const known = inf.ints(node.inputs[0]);
  if (known && node.outputs[0]) inf.known.set(node.outputs[0], known);
  return [typeOf(node.inputs[0])];
};

/** Conv over N spatial dims: [N, C, D...] × [M, C/group, K...] → [N, M, D'...]. */
const conv: Rule = (node) => {
  const x = shapeOf(node.inputs[0]);
  const w = shapeOf(node.inputs[1]);
  const elementType = elemOf(node.inputs[0]);
  if (!x || !w) return [tensor(elementType, undefined)];
  const spatial = x.length - 2;
  const kernel =
    intsAttr(node, 'kernel_shape') ?? w.slice(2).map((d) => (typeof d === 'number' ? d : Number.NaN));
  const strides = intsAttr(node, 'strides') ?? Array(spatial).fill(1);
  const dilations = intsAttr(node, 'dilations') ?? Array(spatial).fill(1);
  const pads = intsAttr(node, 'pads') ?? Array(2 * spatial).fill(0);
  const autoPad = node.attributes.get('auto_pad');
  const padMode = autoPad?.kind === 'string' ? autoPad.value : 'NOTSET';
  const out: Dim[] = [x[0], w[0]];
  for (let i = 0; i < spatial; i++) {
    const d = x[i + 2];
    const k = kernel[i]!;
    if (typeof d !== 'number' || Number.isNaN(k)) {
      // A symbolic length survives stride 1: it grows by the padding beyond the kernel's reach.
      const grow = pads[i]! + pads[i + spatial]! - (k - 1) * dilations[i]!;
      const same = padMode.startsWith('SAME') || (padMode === 'NOTSET' && grow === 0);
      if (strides[i] === 1 && same) out.push(d);
      else if (strides[i] === 1 && padMode === 'NOTSET' && grow > 0) out.push(addDims(d, grow));
      else out.push(undefined);
      continue;
    }
    if (padMode.startsWith('SAME')) out.push(Math.ceil(d / strides[i]!));
    else if (padMode === 'VALID') out.push(Math.floor((d - ((k - 1) * dilations[i]! + 1)) / strides[i]!) + 1);
    else
      out.push(
        Math.floor((d + pads[i]! + pads[i + spatial]! - ((k - 1) * dilations[i]! + 1)) / strides[i]!) + 1,
      );
  }
  return [tensor(elementType, out)];
};

const pad: Rule = (node, inf) => {
  const x = shapeOf(node.inputs[0]);
  const elementType = elemOf(node.inputs[0]);
  const pads = inf.opset < 11 ? intsAttr(node, 'pads') : inf.intList(node.inputs[1]);
  if (!x) return [tensor(elementType, undefined)];
  if (!pads)
    return [
      tensor(
        elementType,
        x.map(() => undefined),
      ),
    ];
  const axes = inf.opset >= 18 ? inf.intList(node.inputs[3]) : undefined;
  const along = (axes ?? x.map((_, k) => k)).map((a) => normalizeAxis(a, x.length));
  const out: Dim[] = [...x];
  along.forEach((axis, k) => {
    out[axis] = addDims(x[axis], pads[k]! + pads[k + along.length]!);
  });
  return [tensor(elementType, out)];
};

const tile: Rule = (node, inf) => {
  const x = shapeOf(node.inputs[0]);
  const repeats = inf.intList(node.inputs[1]);
  const elementType = elemOf(node.inputs[0]);
  if (!x) return [tensor(elementType, undefined)];
  if (!repeats)
    return [
      tensor(
        elementType,
        x.map(() => undefined),
      ),
    ];
  return [
    tensor(
      elementType,
      x.map((d, k) => mulDims(d, repeats[k]!)),
    ),
  ];
};

/** RMS-style normalizations: output 0 like the input (further outputs are statistics, rarely used). */
const rmsNorm: Rule = (node) => [typeOf(node.inputs[0])];

const UNARY = [
  'Abs',
  'Neg',
  'Exp',
  'Log',
  'Sqrt',
  'Reciprocal',
  'Tanh',
  'Sigmoid',
  'Erf',
  'Relu',
  'Softplus',
  'Softsign',
  'Elu',
  'Selu',
  'LeakyRelu',
  'HardSigmoid',
  'HardSwish',
  'Gelu',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Sin',
  'Cos',
  'Clip',
  'Softmax',
  'LogSoftmax',
  'CumSum',
  'Trilu',
  'ScatterND',
  'ScatterElements',
  'Mish',
  'ThresholdedRelu',
  'Celu',
  'Hardmax',
  'InstanceNormalization',
  'BatchNormalization',
] as const;

const RULES: Readonly<Record<string, Rule>> = {
  ...Object.fromEntries(UNARY.map((op) => [op, sameAsInput])),
  Identity: identityWithValues,
  Not: sameAsInput,
  Add: broadcasting(),
  Sub: broadcasting(),
  Mul: broadcasting(),
  Div: broadcasting(),
  Pow: broadcasting(),
  Mod: broadcasting(),
  Max: broadcasting(),
  Min: broadcasting(),
  Sum: broadcasting(),
  Mean: broadcasting(),
  PRelu: broadcasting(),
  Equal: comparison,
  Less: comparison,
  Greater: comparison,
  LessOrEqual: comparison,
  GreaterOrEqual: comparison,
  And: comparison,
  Or: comparison,
  Xor: comparison,
  IsNaN: (node) => [tensor(ElementType.bool, shapeOf(node.inputs[0]))],
  IsInf: (node) => [tensor(ElementType.bool, shapeOf(node.inputs[0]))],
  MatMul: matMul,
  Gemm: gemm,
  LayerNormalization: layerNorm,
  Gather: gather,
  GatherElements: gatherElements,
  Reshape: reshape,
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Where: where,
  Cast: cast,
  CastLike: castLike,
  ReduceMax: reduce(18),
  ReduceMin: reduce(18),
  ReduceMean: reduce(18),
  ReduceProd: reduce(18),
  ReduceL2: reduce(18),
  ReduceLogSumExp: reduce(18),
  ReduceSum: reduce(13),
  ArgMax: argReduce,
  ArgMin: argReduce,
  TopK: topK,
  Shape: shape,
  Size: size,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Expand: expand,
  Range: range,
  If: ifRule,
  Loop: loop,
  Scan: scan,
  Split: split,
  Flatten: flatten,
  Dropout: dropout,
  NonZero: nonZero,
  Conv: conv,
  Pad: pad,
  Tile: tile,
  RMSNormalization: rmsNorm,
  SimplifiedLayerNormalization: rmsNorm,
};

const CONTRIB_RULES: Readonly<Record<string, Rule>> = {
  'com.microsoft.SkipLayerNormalization': (node) => [typeOf(node.inputs[0])],
  'com.microsoft.FastGelu': sameAsInput,
  'com.microsoft.BiasGelu': sameAsInput,
  'com.microsoft.Gelu': sameAsInput,
  'com.microsoft.SimplifiedLayerNormalization': rmsNorm,
  'com.microsoft.SkipSimplifiedLayerNormalization': rmsNorm,
  'com.microsoft.RotaryEmbedding': sameAsInput,
};

/**
 * Infers element types and shapes for every node output of `graph` and its subgraphs, in place. Graph
 * inputs and initializers must carry their types (they do in every exported model); outputs of ops it
 * does not know keep what the model declared, and each such op type gets one OR4015 warning.
 */
export function inferShapes(graph: Graph, options: InferShapesOptions = {}): InferShapesResult {
  const inf = new Inference(options.opset ?? 17, options.deadPlaceholders ?? false);
  // Subgraphs see the main graph's tracked values (captures of shape vectors and constants).
  for (let g: Graph | undefined = graph.parent; g; g = g.parent) inf.seedInitializers(g);
  inf.graph(graph);
  const file = options.file ?? '<model>';
  const diagnostics = [...inf.unknownOps.values()].map((node) =>
    diagnostic(
      'OR4015',
      { op: node.domain ? `${node.domain}.${node.op}` : node.op, node: node.name || node.op },
      { graph: { file, node: node.name } },
    ),
  );
  return { updated: inf.updated, diagnostics, values: inf.known };
}
