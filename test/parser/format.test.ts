import { describe, expect, it } from 'vitest';
import { formatRamp } from '../../src/parser/index.js';

describe('formatRamp', () => {
  it('lays out canonically and keeps every comment', () => {
    const messy = [
      '# header',
      'model   m{backbone "b.onnx"{layers auto}   # trailing',
      '',
      '',
      '  # about exits',
      'exits after 1..2{head pooler+linear(classes:2) weights "w.safetensors"{pooler:"p." linear:"c.{i}."}}',
      'policy pabee{patience:2,min_exit:1}',
      '}',
    ].join('\n');
    const { text, diagnostics } = formatRamp(messy, 'x.ramp');
    expect(diagnostics).toEqual([]);
    expect(text).toBe(
      [
        '# header',
        'model m {',
        '  backbone "b.onnx" { layers auto } # trailing',
        '',
        '  # about exits',
        '  exits after 1..2 {',
        '    head pooler + linear(classes: 2)',
        '    weights "w.safetensors" { pooler: "p.", linear: "c.{i}." }',
        '  }',
        '  policy pabee { patience: 2, min_exit: 1 }',
        '}',
        '',
      ].join('\n'),
    );
    expect(formatRamp(text!, 'x.ramp').text).toBe(text);
  });

  it('refuses files with errors', () => {
    const r = formatRamp('model m { policy pabee { patience: } }', 'x.ramp');
    expect(r.text).toBeUndefined();
    expect(r.diagnostics[0]!.code).toBe('OR1004');
  });
});
