import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/index.js';
import { readModel, saveModel } from '../../src/ir/index.js';
import { stateKind, stateName } from '../../src/passes/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'offramp-states-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('recurrent state names', () => {
  it('pairs past and present states by layer and kind', () => {
    expect(stateName('past_*.{i}', 3, 'conv')).toBe('past_conv.3');
    expect(stateName('present_*.{i}', 3, 'ssm')).toBe('present_ssm.3');
    expect(stateKind('past_*.{i}', 3, 'past_conv.3')).toBe('conv');
    expect(stateKind('past_*.{i}', 3, 'past_conv.13')).toBeUndefined();
    expect(stateKind('past_*.{i}', 1, 'past_conv.13')).toBeUndefined();
    expect(stateKind('past_*.{i}', 1, 'present_conv.1')).toBeUndefined();
    // A pattern without '*' is a prefix the kind follows (the key/value caches' form).
    expect(stateName('past_key_values.{i}.', 0, 'key')).toBe('past_key_values.0.key');
    expect(stateKind('past_key_values.{i}.', 0, 'past_key_values.0.value')).toBe('value');
    expect(stateKind('past_key_values.{i}.', 1, 'past_key_values.10.value')).toBeUndefined();
  });
});

describe('a cache strategy that does not fit the backbone', () => {
  it('keep/update on key/value caches is OR5009 naming the cache, and nothing is written', async () => {
    const example = join(ROOT, 'dsl/examples/decoder.ramp');
    const source = readFileSync(example, 'utf8').replace('cache: copy', 'cache: update');
    const outDir = join(scratch, 'kv');
    const result = await compile({ file: example, source, outDir });
    expect(result.artifacts).toEqual([]);
    const problem = result.diagnostics.find((d) => d.code === 'OR5009');
    expect(problem?.message).toMatch(
      /'update' does not fit this backbone: layer 1 has key\/value caches .* use cache: copy, propagate or recompute/,
    );
    expect(problem?.graph?.tensor).toBe('past_key_values.0.key');
  });

  it.each([
    [
      'a Mamba state',
      'dsl/examples/mamba-decoder.ramp',
      'fixtures/mamba-lm/decoder.onnx',
      'past_conv.2',
      2,
      4,
    ],
    [
      'a key/value cache',
      'dsl/examples/decoder.ramp',
      'fixtures/decoder/decoder.onnx',
      'past_key_values.1.value',
      3,
      8,
    ],
  ] as const)(
    '%s whose declared input and output shapes disagree is OR5010 naming both',
    async (_, example, backbone, name, axis, size) => {
      const { model } = await readModel(join(ROOT, backbone));
      const input = model!.graph.inputs.find((v) => v.name === name)!;
      const shape = [...input.type!.shape!];
      shape[axis] = size;
      input.type = { ...input.type!, shape };
      const edited = join(scratch, `${name}.onnx`);
      await saveModel(model!, edited);
      const file = join(ROOT, example);
      const relative = backbone.replace('fixtures/', '../../fixtures/');
      const source = readFileSync(file, 'utf8').replace(`"${relative}"`, `"${edited}"`);
      const result = await compile({ file, source, outDir: join(scratch, 'out-shapes') });
      expect(result.artifacts).toEqual([]);
      const problem = result.diagnostics.find((d) => d.code === 'OR5010');
      expect(problem?.message).toMatch(
        new RegExp(
          `cache input '${name.replaceAll('.', '\\.')}' \\[.*\\] and output '.*' \\[.*\\] do not match: axis ${axis}: ${size} vs `,
        ),
      );
    },
  );
});
