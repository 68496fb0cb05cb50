import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, parseSafetensors } from '../../src/io/safetensors.js';

function withHeader(header: object, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const reason = (bytes: Uint8Array) => {
  const r = parseSafetensors(bytes, 'w.safetensors');
  expect(r.file).toBeUndefined();
  expect(r.diagnostics.map((d) => d.code)).toEqual(['OR3101']);
  return r.diagnostics[0]!.message;
};

describe('safetensors', () => {
  it('round-trips float32 tensors with metadata, aligned for zero-copy views', () => {
    const a = new Float32Array([1.5, -2, 3.25, 4, 5, 6]);
    const b = new Float32Array([7]);
    const bytes = encodeSafetensors(
      [
        { name: 'z.b', shape: [1], data: b },
        { name: 'a.w', shape: [2, 3], data: a },
      ],
      { format: 'pt' },
    );
    const { file } = parseSafetensors(bytes, 'w.safetensors');
    expect(file!.metadata).toEqual({ format: 'pt' });
    const w = file!.tensors.get('a.w')!;
    expect(w.shape).toEqual([2, 3]);
    expect([...w.view()]).toEqual([...a]);
    expect(w.view().buffer).toBe(bytes.buffer); // no copy
    expect(w.values().buffer).not.toBe(bytes.buffer); // a copy
    expect([...file!.tensors.get('z.b')!.values()]).toEqual([7]);
  });

  it('reads correct values from a Node Buffer that shares pooled memory', () => {
    const data = new Float32Array([0.25, -8, 3]);
    // Small Buffers live inside a shared pool, at a non-zero byte offset.
    const pooled = Buffer.from(encodeSafetensors([{ name: 't', shape: [3], data }]));
    const t = parseSafetensors(pooled, 'w.safetensors').file!.tensors.get('t')!;
    expect([...t.values()]).toEqual([0.25, -8, 3]);
    expect([...t.view()]).toEqual([0.25, -8, 3]);
  });

  it('reads the encoder fixture heads', () => {
    const path = fileURLToPath(new URL('../../fixtures/encoder/heads.safetensors', import.meta.url));
    const { file } = parseSafetensors(readFileSync(path), path);
    expect(file!.tensors.get('pabee.pooler.weight')!.shape).toEqual([64, 64]);
    expect(file!.metadata.num_layers).toBe('6');
    expect(file!.tensors.get('pabee.classifier.0.bias')!.values().every(Number.isFinite)).toBe(true);
  });

  it('reports malformed files instead of throwing', () => {
    expect(reason(new Uint8Array(4))).toContain('8-byte');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 62n, true);
    expect(reason(huge)).toContain('exceeds');
    expect(reason(withHeader([1, 2]))).toContain('not a JSON object');
    const bad = new Uint8Array(12);
    new DataView(bad.buffer).setBigUint64(0, 4n, true);
    bad.set([0x7b, 0xff, 0x7d, 0x20], 8);
    expect(reason(bad)).toContain('JSON');
    expect(
      reason(withHeader({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4))),
    ).toContain('outside');
    expect(
      reason(withHeader({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))),
    ).toContain('needs 12');
    expect(
      reason(withHeader({ t: { dtype: 'Q7', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))),
    ).toContain('unknown dtype');
    expect(
      reason(withHeader({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4))),
    ).toContain('malformed');
    const overlap = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    };
    expect(reason(withHeader(overlap, new Uint8Array(8)))).toContain('overlap');
    expect(reason(withHeader({ __metadata__: { n: 1 } }))).toContain('__metadata__');
  });
});
