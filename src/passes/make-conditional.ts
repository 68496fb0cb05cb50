import { Builder, ElementType, Graph, type Model, Node, Value } from '../ir/index.js';
import type { Carried } from '../policies/index.js';
import type { CompilerPass } from './compiler-pass.js';
import { elementTypeOf } from './element-types.js';
import { carriedValues, partitionByExit } from './segments.js';

/**
 * Makes every exit segment after the first conditional: a flat chain of `If`s, each running its segment
 * (the layers up to the next exit, that exit's head and policy) only while some sample in the batch has
 * not exited. Exited samples keep their results through the carried values; else-branches forward them
 * and give cheap empty placeholders for everything else, which no later segment reads once all have exited.
 * A flat chain, not one nesting level per exit: ORT's protobuf recursion limit allows only ~30 levels.
 */
export const makeConditional: CompilerPass = {
  name: 'make-conditional',
  summary: 'Guard each exit segment with an If on "some sample still running"; drop dead nodes.',
  requires: ['policy-outputs'],
  ensures: ['layers-skipped'],
  run(model: Model, ctx) {
    const graph = model.graph;
    const b = new Builder(model, graph);
    const exits = ctx.exits.filter((e) => e.carried);
    const outputs = new Set(graph.outputs);
    const { segments, tail, dead } = partitionByExit(graph, exits);
    for (const n of dead) for (const input of n.inputs) input?.uses.delete(n);
    const order = new Map(graph.nodes.map((n, k) => [n, k]));
    const inOrder = (s: Set<Node>) => [...s].sort((x, y) => order.get(x)! - order.get(y)!);

    const mainNodes: Node[] = inOrder(segments[0] ?? new Set());
    let previous = exits[0]?.carried;
    // Every value moved into a branch → the If output that carries it now (for else-branch stand-ins).
    const replacedBy = new Map<Value, Value>();
    const before = (v: Value) => replacedBy.get(v) ?? v;
    let movedNodes = 0;
    for (let k = 1; k < segments.length; k++) {
      const segment = segments[k]!;
      const carried = exits[k]!.carried!;
      const prev = previous!;
      // cond = "some sample has not exited": ReduceMin over the exited mask (as int32) equals 0.
      const exitedInt = b.op(
        'Cast',
        [prev.exited],
        { to: ElementType.int32 },
        `offramp/segment${k + 1}/exited_int`,
      );
      const allExited = b.op('ReduceMin', [exitedInt], { keepdims: 0 }, `offramp/segment${k + 1}/all_exited`);
      // Equal needs matching types: compare the int32 minimum with an int32 zero.
      const zero = b.constant(`offramp/segment${k + 1}/zero32`, Int32Array.of(0), []);
      const running = b.op('Equal', [allExited, zero], {}, `offramp/segment${k + 1}/running`);
      const condNodes = [exitedInt.producer!, allExited.producer!, running.producer!];

      const thenBranch = new Graph(b.uniqueName(`offramp/segment${k + 1}/run`), undefined);
      const elseBranch = new Graph(b.uniqueName(`offramp/segment${k + 1}/skip`), undefined);
      const nodes = inOrder(segment);
      // Values the segment hands to later segments or to the graph's outputs.
      const boundary: Value[] = [];
      for (const n of nodes) {
        for (const v of n.outputs) {
          const usedOutside =
            [...v.uses].some((u) => !segment.has(u) && !isInsideSegment(u, segment)) || outputs.has(v);
          if (usedOutside) boundary.push(v);
        }
      }
      for (const n of nodes) {
        n.graph = thenBranch;
        for (const v of n.outputs) v.graph = thenBranch;
        thenBranch.nodes.push(n);
      }
      movedNodes += nodes.length;
      const thenB = b.into(thenBranch);
      const elseB = b.into(elseBranch);
      const ifNode = new Node('If', '', b.uniqueName(`offramp/segment${k + 1}/If`), [running], [], graph);
      running.uses.add(ifNode);
      const carriedNow = carriedValues(carried);
      const carriedBefore = carriedValues(prev);
      const replacements = new Map<Value, Value>();
      for (const v of boundary) {
        const elementType = elementTypeOf(v, graph) ?? ElementType.float32;
        // Subgraph outputs must be produced inside the branch.
        thenBranch.outputs.push(v.graph === thenBranch ? v : thenB.op('Identity', [v]));
        const slot = carriedNow.indexOf(v);
        let skipped: Value;
        const extra = exits[k]!.extras?.find((e) => e.value === v);
        if (slot >= 0) {
          skipped = elseB.op('Identity', [carriedBefore[slot]!]);
        } else if (extra) {
          skipped = extra.whenSkipped(elseB, before);
        } else {
          const empty = emptyOf(b, elementType, `offramp/segment${k + 1}/placeholder`);
          skipped = elseB.op('Identity', [empty]);
        }
        skipped.type = { elementType };
        elseBranch.outputs.push(skipped);
        // A graph output keeps its public name (a decoder's present caches): the If's output takes it.
        const publicName = outputs.has(v) ? v.name : undefined;
        if (publicName) v.name = b.uniqueName(`${publicName}/computed`);
        const out = new Value(
          publicName ?? b.uniqueName(`${v.name}/if`),
          { elementType, ...(v.type?.shape ? { shape: v.type.shape } : {}) },
          graph,
        );
        out.producer = ifNode;
        ifNode.outputs.push(out);
        replacements.set(v, out);
        replacedBy.set(v, out);
      }
      for (const v of thenBranch.outputs)
        v.type = { elementType: elementTypeOf(v, graph) ?? ElementType.float32 };
      ifNode.attributes.set('then_branch', { kind: 'graph', value: thenBranch });
      ifNode.attributes.set('else_branch', { kind: 'graph', value: elseBranch });
      thenBranch.owner = ifNode;
      elseBranch.owner = ifNode;
      // Later segments and the graph outputs now read the If's outputs.
      for (const [from, to] of replacements) {
        for (const user of [...from.uses]) {
          if (segment.has(user) || isInsideSegment(user, segment)) continue;
          user.inputs = user.inputs.map((x) => (x === from ? to : x));
          from.uses.delete(user);
          to.uses.add(user);
        }
        graph.outputs = graph.outputs.map((x) => (x === from ? to : x));
      }
      const remap = (c: Carried<Value>): Carried<Value> => ({
        exited: replacements.get(c.exited) ?? c.exited,
        logits: replacements.get(c.logits) ?? c.logits,
        layer: replacements.get(c.layer) ?? c.layer,
        confidence: replacements.get(c.confidence) ?? c.confidence,
      });
      exits[k]!.carried = remap(carried);
      previous = exits[k]!.carried;
      mainNodes.push(...condNodes, ifNode);
    }
    mainNodes.push(...inOrder(tail));
    graph.nodes = mainNodes;
    ctx.statistics['conditional-segments'] = Math.max(0, segments.length - 1);
    return {
      modified: true,
      statistics: {
        'if-nodes': Math.max(0, segments.length - 1),
        'moved-nodes': movedNodes,
        'dead-nodes': dead.length,
      },
    };
  },
};

function isInsideSegment(node: Node, segment: Set<Node>): boolean {
  for (let g: Graph | undefined = node.graph; g?.owner; g = g.owner.graph)
    if (segment.has(g.owner)) return true;
  return false;
}

/** A zero-element tensor of the given element type: the else-branch placeholder for never-read values. */
function emptyOf(b: Builder, elementType: number, base: string): Value {
  switch (elementType) {
    case ElementType.int64:
      return b.constant(base, new BigInt64Array(0), [0]);
    case ElementType.float64:
      return b.constant(base, new Float64Array(0), [0]);
    case ElementType.bool:
      return b.constant(base, new Uint8Array(0), [0], { bool: true });
    case ElementType.int32:
      return b.constant(base, new Int32Array(0), [0]);
    default:
      return b.constant(base, new Float32Array(0), [0]);
  }
}
