/**
 * The convention between a benchmark and `bench/run.ts`: a benchmark prints its result (Markdown) between
 * these two marker lines, and `npm run bench` copies it into `bench/results.md` under the benchmark's name,
 * with a description of the machine it ran on. Benchmarks that print no block leave `results.md` alone.
 */
export const RESULTS_BEGIN = '<!-- results:begin -->';
export const RESULTS_END = '<!-- results:end -->';

export function printResults(markdown: string): void {
  process.stdout.write(`\n${RESULTS_BEGIN}\n${markdown.trim()}\n${RESULTS_END}\n`);
}

/** The blocks a benchmark printed, joined (usually one). */
export function resultsIn(stdout: string): string | undefined {
  const blocks: string[] = [];
  let at = 0;
  for (;;) {
    const begin = stdout.indexOf(RESULTS_BEGIN, at);
    if (begin < 0) break;
    const end = stdout.indexOf(RESULTS_END, begin);
    if (end < 0) break;
    blocks.push(stdout.slice(begin + RESULTS_BEGIN.length, end).trim());
    at = end + RESULTS_END.length;
  }
  return blocks.length > 0 ? blocks.join('\n\n') : undefined;
}
