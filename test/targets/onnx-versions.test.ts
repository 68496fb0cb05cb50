import { describe, expect, it } from 'vitest';
import { operatorVersions, sinceVersion } from '../../src/targets/index.js';

describe('sinceVersion', () => {
  it('resolves to the largest since-version at or below the opset', () => {
    expect(sinceVersion('If', '', 17)).toBe(16);
    expect(sinceVersion('If', 'ai.onnx', 21)).toBe(21);
    expect(sinceVersion('If', '', 22)).toBe(21);
    expect(sinceVersion('ReduceMax', '', 19)).toBe(18);
    expect(sinceVersion('ReduceMax', '', 20)).toBe(20);
    expect(sinceVersion('Softmax', '', 17)).toBe(13);
    expect(sinceVersion('LayerNormalization', '', 17)).toBe(17);
    expect(sinceVersion('TopK', '', 23)).toBe(11);
    expect(sinceVersion('TopK', '', 24)).toBe(24);
  });

  it('is undefined before an operator exists and for operators it does not know', () => {
    expect(sinceVersion('LayerNormalization', '', 16)).toBeUndefined();
    expect(sinceVersion('Gelu', '', 19)).toBeUndefined();
    expect(sinceVersion('NoSuchOp', '', 17)).toBeUndefined();
    expect(sinceVersion('Softmax', 'com.example', 1)).toBeUndefined();
  });

  it('knows com.microsoft contrib ops as version 1', () => {
    expect(sinceVersion('SkipLayerNormalization', 'com.microsoft', 1)).toBe(1);
    expect(operatorVersions('Gelu', 'com.microsoft')).toEqual([1]);
  });

  it('keeps every history strictly ascending', () => {
    for (const op of ['Cast', 'Reshape', 'Loop', 'Scan', 'Equal', 'Where', 'Pow']) {
      const versions = operatorVersions(op, '')!;
      expect(versions.length).toBeGreaterThan(1);
      for (let i = 1; i < versions.length; i++) expect(versions[i]!).toBeGreaterThan(versions[i - 1]!);
    }
  });
});
