import { describe, expect, it } from 'vitest';
import { checkRamp, type PabeePolicy, parseRamp } from '../../src/parser/index.js';

const model = (body: string) => `model m {\n  backbone "nets/b.onnx"\n${body}\n}\n`;

describe('parseRamp', () => {
  it('builds a typed AST with 1-based spans and resolved paths', () => {
    const { ast, diagnostics } = parseRamp(
      model(
        '  exits after 2..4 { head linear(classes: 3) weights "w.safetensors" key "c.{i}." }\n  policy pabee { patience: 2 }',
      ),
      '/proj/spec.ramp',
    );
    expect(diagnostics).toEqual([]);
    const m = ast!.models[0]!;
    expect(m.backbone!.path.resolved).toBe('/proj/nets/b.onnx');
    expect(m.exits!.selection).toMatchObject({ kind: 'ExitRange', from: { value: 2 }, to: { value: 4 } });
    expect(m.exits!.head!.classifier).toMatchObject({ kind: 'LinearHead', classes: { value: 3 } });
    const policy = m.policy as PabeePolicy;
    expect(policy.patience!.value).toBe(2);
    // `  policy pabee { patience: 2 }` is line 4; the value `2` is at column 28.
    expect(policy.patience!.valueLoc.start).toMatchObject({ line: 4, column: 28 });
    expect(policy.patience!.loc.start).toMatchObject({ line: 4, column: 18 });
  });

  it('decodes escapes and keeps number spelling', () => {
    const { ast } = parseRamp(
      'model m { backbone "a\\"b\\u{41}.onnx" policy entropy { threshold: 2.5e-1 } }',
      'x.ramp',
    );
    expect(ast!.models[0]!.backbone!.path.written).toBe('a"bA.onnx');
    expect(ast!.models[0]!.policy!.params[0]!.value).toMatchObject({
      kind: 'Number',
      value: 0.25,
      raw: '2.5e-1',
    });
  });

  it('reports several syntax errors in one run, with did-you-mean', () => {
    const { ast, diagnostics } = parseRamp(
      'model m {\n  backbon "b.onnx"\n}\nmodel n {\n  polcy pabee\n}\n',
      'x.ramp',
    );
    expect(ast).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.span!.start.line, d.suggestion])).toEqual([
      ['OR1004', 2, "did you mean 'backbone'?"],
      ['OR1004', 5, "did you mean 'policy'?"],
    ]);
  });

  it('resolves exit layers once checked', () => {
    const body =
      '  exits after [5, 1, 3] { head linear weights "w.safetensors" key "c.{i}." }\n  policy maxprob { threshold: 0.8 }';
    expect(checkRamp(model(body), 'x.ramp').models![0]!.exitLayers).toEqual([1, 3, 5]);
    const every = model(
      '  exits after every 2 { head linear weights "w.safetensors" key "c.{i}." }\n  policy margin',
    );
    expect(checkRamp(every, 'x.ramp').models![0]!.exitLayers).toBeUndefined();
    expect(checkRamp(every, 'x.ramp', { layerCount: 7 }).models![0]!.exitLayers).toEqual([2, 4, 6]);
  });
});
