import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { fixturePath } from '../support/encoder-fixture.js';

const out = mkdtempSync(join(tmpdir(), 'offramp-bad-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const ramp = (parts: {
  exits?: string;
  linear?: string;
  pooler?: string;
  policy?: string;
  layers?: string;
}) => `
model bad {
  backbone "${fixturePath('backbone.onnx')}" { layers ${parts.layers ?? '"/bert/encoder/layer.{i}/"'} }
  exits after ${parts.exits ?? '1..6'} {
    pool cls
    head pooler + linear(classes: 4)
    weights "${fixturePath('heads.safetensors')}" {
      pooler: "${parts.pooler ?? 'pabee.pooler.'}",
      linear: "${parts.linear ?? 'pabee.classifier.{i}.'}"
    }
  }
  ${parts.policy ?? 'policy pabee { patience: 2 }'}
}
`;

const lineOf = (source: string, needle: string) =>
  source.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('bad input to the compiler', () => {
  it.each([
    ['a missing weight key', { linear: 'pabee.clasifier.{i}.' }, 'pabee.clasifier'],
    ['weights whose shape does not fit the cut', { linear: 'jei.gate.{i}.' }, 'jei.gate'],
    ['an exit past the last layer', { exits: '[2, 4, 9]' }, 'exits after'],
    ['a layer pattern that matches nothing', { layers: '"/encoder/block.{i}/"' }, 'block.{i}'],
    ['a policy missing its weights', { policy: 'policy qexit { q: 0.5 }' }, 'policy qexit'],
    ['a parameter out of range', { policy: 'policy maxprob { threshold: 1.5 }' }, 'policy maxprob'],
  ])('reports %s at its .ramp line and writes nothing', async (_label, parts, needle) => {
    const source = ramp(parts);
    const file = join(out, 'bad.ramp');
    const result = await compile({ file, source, outDir: join(out, 'artifacts') });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.code).toMatch(/^OR\d{4}$/);
    expect(errors.some((d) => d.span?.file === file && d.span.start.line === lineOf(source, needle))).toBe(
      true,
    );
    expect(result.artifacts).toEqual([]);
    expect(existsSync(join(out, 'artifacts'))).toBe(false);
  });
});
