import { describe, expect, it } from 'vitest';
import { mergeResults, RESULTS_BEGIN, RESULTS_END, resultsIn } from '../../bench/results.js';

describe('bench results blocks', () => {
  it('finds what a benchmark printed between the markers, and nothing otherwise', () => {
    const out = `progress 1/3\n${RESULTS_BEGIN}\n| a | b |\n${RESULTS_END}\nbye\n${RESULTS_BEGIN}\nsecond\n${RESULTS_END}\n`;
    expect(resultsIn(out)).toBe('| a | b |\n\nsecond');
    expect(resultsIn('no block here')).toBeUndefined();
    expect(resultsIn(`${RESULTS_BEGIN}\nunterminated`)).toBeUndefined();
  });

  it('replaces only the section of the benchmark that ran, keeping the header and the others in name order', () => {
    const first = mergeResults(undefined, 'pytorch.bench.ts', 'Machine: A.\n\nold pytorch');
    expect(first).toMatch(/^# Benchmark results\n/);
    const both = mergeResults(first, 'policies.bench.ts', 'Machine: B.\n\npolicies');
    const again = mergeResults(both, 'pytorch.bench.ts', 'Machine: C.\n\nnew pytorch');
    expect(again).not.toMatch(/old pytorch/);
    expect(again.indexOf('## `policies.bench.ts`')).toBeLessThan(again.indexOf('## `pytorch.bench.ts`'));
    expect(again).toMatch(/Machine: B\.\n\npolicies\n<!-- \/section: policies\.bench\.ts -->/);
    expect(again).toMatch(/Machine: C\.\n\nnew pytorch\n<!-- \/section: pytorch\.bench\.ts -->/);
    expect(again.match(/<!-- section: /g)).toHaveLength(2);
    expect(again.startsWith(first.split('<!-- section: ')[0]!)).toBe(true);
  });
});
