import type { onnx } from 'onnx-proto';
import { allGraphs, ElementType, removeNode, Value } from '../../ir/index.js';
import { replaceReads } from './graph-edit.js';
import type { LegalizePass } from './legalize-pass.js';
import { encodeTensor } from './tensor-values.js';

/**
 * Turns `Constant` nodes into initializers of their graph. ORT does the same when it loads a model; doing
 * it first lets the later passes read, retype and fold every constant in one place.
 */
export const constantsToInitializers: LegalizePass = {
  name: 'constants-to-initializers',
  summary: 'Replace Constant nodes by initializers.',
  run(model) {
    let converted = 0;
    for (const graph of allGraphs(model.graph)) {
      for (const node of [...graph.nodes]) {
        if (node.op !== 'Constant' || node.domain !== '') continue;
        const out = node.outputs[0]!;
        const attr = [...node.attributes.values()][0];
        let tensor: onnx.ITensorProto;
        if (attr?.kind === 'tensor') tensor = { ...attr.value, name: out.name };
        else if (attr?.kind === 'int')
          tensor = encodeTensor(out.name, ElementType.int64, [], [Number(attr.value)]);
        else if (attr?.kind === 'ints')
          tensor = encodeTensor(out.name, ElementType.int64, [attr.value.length], attr.value.map(Number));
        else if (attr?.kind === 'float')
          tensor = encodeTensor(out.name, ElementType.float32, [], [attr.value]);
        else if (attr?.kind === 'floats')
          tensor = encodeTensor(out.name, ElementType.float32, [attr.value.length], attr.value);
        else continue;
        const dims = (tensor.dims ?? []).map(Number);
        const value = new Value(out.name, { elementType: tensor.dataType ?? 0, shape: dims }, graph);
        replaceReads(model, out, value);
        removeNode(node);
        graph.initializers.set(out.name, { value, tensor });
        converted++;
      }
    }
    return { modified: converted > 0, statistics: { 'constants-converted': converted } };
  },
};
