import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadBuiltinProfile,
  loadProfile,
  parseVersionRange,
  TARGET_NAMES,
  validateProfile,
} from '../../src/targets/index.js';

describe('target profiles', () => {
  it.each(TARGET_NAMES)('%s loads, validates and states its source', async (name) => {
    const profile = await loadBuiltinProfile(name);
    expect(profile.name).toBe(name);
    expect(profile.opset).toBe(17);
    expect(profile.irVersion).toBe(8);
    expect(profile.operators.source.length).toBeGreaterThan(20);
    expect(profile.operators.kernels.length).toBeGreaterThan(40);
  });

  it('rejects an unknown target with a suggestion', async () => {
    const result = await loadProfile('webgpu-nativ');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics[0]!.code).toBe('OR6011');
    expect(result.diagnostics[0]!.suggestion).toBe('webgpu-native');
  });

  it('reports every problem of a malformed profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'offramp-profile-'));
    const good = JSON.parse(JSON.stringify(await loadBuiltinProfile('cpu'))) as Record<string, unknown>;
    const bad = {
      ...good,
      opset: 'seventeen',
      graphForm: 'tree',
      operators: {
        source: 'x',
        kernels: [{ op: 'Add', domain: 'ai.onnx', versions: ['13++'], types: { T: ['float33'] } }],
      },
    };
    await writeFile(join(dir, 'cpu.json'), JSON.stringify(bad));
    const result = await loadProfile('cpu', { dir });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const reasons = result.diagnostics.map((d) => d.message).join('\n');
    expect(result.diagnostics.every((d) => d.code === 'OR6010')).toBe(true);
    expect(reasons).toContain('opset');
    expect(reasons).toContain('graphForm');
    expect(reasons).toContain('versions must be');
    expect(reasons).toContain('types must map');
    expect(validateProfile(good)).toEqual([]);
  });

  it('parses ORT registration notation', () => {
    expect(parseVersionRange('13')).toEqual({ start: 13, end: 13 });
    expect(parseVersionRange('7-12')).toEqual({ start: 7, end: 12 });
    expect(parseVersionRange('14+')).toEqual({ start: 14 });
    expect(parseVersionRange('x')).toBeUndefined();
  });
});
