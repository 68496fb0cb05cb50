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

const HEADER = [
  '# Benchmark results',
  '',
  'Written by `npm run bench` (`bench/run.ts`): each benchmark that reports results has a section here,',
  'replaced whenever it runs again, headed by the machine it ran on. Ratios are measured side by side in',
  'one run; absolute times depend on the machine and its load. How each is measured: `bench/README.md`.',
].join('\n');

/**
 * `results.md` with `bench`'s section set to `body`: an existing section of that benchmark is replaced, the
 * others are kept, sections are ordered by benchmark name, and the text before the first section stays.
 */
export function mergeResults(existing: string | undefined, bench: string, body: string): string {
  const text = existing ?? HEADER;
  const sections = new Map<string, string>();
  for (const m of text.matchAll(/<!-- section: (\S+) -->\n[\s\S]*?<!-- \/section: \1 -->/g))
    sections.set(m[1]!, m[0]);
  sections.set(
    bench,
    `<!-- section: ${bench} -->\n## \`${bench}\`\n\n${body.trim()}\n<!-- /section: ${bench} -->`,
  );
  const head = text.split('<!-- section: ')[0]!.trimEnd();
  const ordered = [...sections.keys()].sort().map((k) => sections.get(k)!);
  return `${head}\n\n${ordered.join('\n\n')}\n`;
}
