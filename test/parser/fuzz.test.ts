/**
 * Any text given as a `.ramp` file yields diagnostics, never an exception or a hang, and every diagnostic
 * points inside the input. Inputs: random strings, random bytes decoded as text, and mutations of the
 * examples (tokens deleted, duplicated, swapped, replaced by random text; truncation).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/index.js';
import { checkRamp, formatRamp } from '../../src/parser/index.js';
import { rampLexer } from '../../src/parser/tokens.js';

const examplesDir = fileURLToPath(new URL('../../dsl/examples/', import.meta.url));
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.ramp'))
  .map((f) => readFileSync(`${examplesDir}${f}`, 'utf8'));

/** Token boundaries of each example (comments included), for token-level mutations. */
const tokenized = examples.map((source) => {
  const lexed = rampLexer.tokenize(source);
  const tokens = [...lexed.tokens, ...((lexed.groups.comments ?? []) as typeof lexed.tokens)].sort(
    (a, b) => a.startOffset - b.startOffset,
  );
  return { source, spans: tokens.map((t) => [t.startOffset, (t.endOffset ?? t.startOffset) + 1] as const) };
});

type Mutation =
  | { op: 'delete' | 'duplicate'; at: number }
  | { op: 'swap'; at: number; with: number }
  | { op: 'replace'; at: number; text: string }
  | { op: 'truncate'; at: number };

function mutate(example: number, mutations: readonly Mutation[]): string {
  const { source, spans } = tokenized[example % tokenized.length]!;
  const pieces: string[] = [];
  let last = 0;
  for (const [s, e] of spans) {
    pieces.push(source.slice(last, s), source.slice(s, e));
    last = e;
  }
  pieces.push(source.slice(last));
  // Odd indices are tokens; even indices are the text between them.
  const tokenAt = (k: number) => 1 + 2 * (k % Math.max(1, spans.length));
  for (const m of mutations) {
    const i = tokenAt(m.at);
    if (i >= pieces.length) continue;
    if (m.op === 'delete') pieces[i] = '';
    else if (m.op === 'duplicate') pieces[i] = `${pieces[i]} ${pieces[i]}`;
    else if (m.op === 'replace') pieces[i] = m.text;
    else if (m.op === 'swap') {
      const j = tokenAt(m.with);
      [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
    } else pieces.splice(i);
  }
  return pieces.join('');
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({
    op: fc.constant('replace' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('{', '}', '"', '..', '-1', '1e999', '[', '(', '#', '\\', 'model', 'weights', '+'),
    ),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

const input: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([e, ms]) => mutate(e, ms)),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => new TextDecoder().decode(b)) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('{', '}', '[', ']', '(', ')', '"', ' ', '\n', 'a', '1', ':', ','),
      maxLength: 400,
    }),
  },
);

function assertInside(d: Diagnostic, source: string, file: string): void {
  expect(d.span, `${d.code} has no span`).toBeDefined();
  const lines = source.split(/\r\n|\r|\n/);
  for (const p of [d.span!.start, d.span!.end]) {
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.line).toBeLessThanOrEqual(lines.length);
    expect(p.column).toBeGreaterThanOrEqual(1);
    expect(p.column).toBeLessThanOrEqual(lines[p.line - 1]!.length + 1);
    expect(p.offset).toBeGreaterThanOrEqual(0);
    expect(p.offset).toBeLessThanOrEqual(source.length);
  }
  expect(d.span!.file).toBe(file);
  expect(d.code).not.toBe('OR9001');
}

const FUZZ_RUNS = 10_000;

describe('fuzzing the front end', () => {
  it(`never throws and keeps every diagnostic inside the input (${FUZZ_RUNS} inputs)`, async () => {
    const file = 'fuzz.ramp';
    let withErrors = 0;
    // Ten chunks with a pause between them: a worker blocked for many seconds misses vitest's RPC deadline.
    const seed = Number(process.env.FUZZ_SEED ?? 20251128);
    for (let chunk = 0; chunk < 10; chunk++) {
      await new Promise((r) => setImmediate(r));
      fc.assert(
        fc.property(input, (source) => {
          const checked = checkRamp(source, file);
          for (const d of checked.diagnostics) assertInside(d, source, file);
          if (checked.diagnostics.some((d) => d.severity === 'error')) withErrors++;
          const formatted = formatRamp(source, file);
          if (formatted.text !== undefined) {
            // The canonical form parses to the same diagnostics count and is a fixed point.
            expect(formatRamp(formatted.text, file).text).toBe(formatted.text);
          }
        }),
        { numRuns: FUZZ_RUNS / 10, seed: seed + chunk },
      );
    }
    // The generators must actually produce broken input most of the time.
    expect(withErrors).toBeGreaterThan(FUZZ_RUNS / 2);
  }, 120_000);

  it('survives pathological nesting and size without exhausting the stack', () => {
    const deep = `model m { policy entropy { thresholds: ${'['.repeat(50_000)} } }`;
    const r = checkRamp(deep, 'deep.ramp');
    expect(r.diagnostics.map((d) => d.code)).toContain('OR1008');
    const long = `model m { exits after [${Array.from({ length: 20_000 }, (_, k) => k + 1).join(', ')}] }`;
    expect(() => checkRamp(long, 'long.ramp')).not.toThrow();
  });
});
