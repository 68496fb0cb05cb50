/**
 * `npm run bench`: runs every `bench/*.bench.ts` in its own process, one after another (benchmarks must
 * not share a process or a core with each other), and prints each one's report. `npm run bench -- NAME…`
 * runs only the benchmarks whose file name contains one of the NAMEs.
 *
 * A benchmark that prints a results block (`bench/results.ts`) gets its section in `bench/results.md`,
 * replaced on every run, headed by a description of the machine it ran on; other sections stay as they are.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { mergeResults, resultsIn } from './results.js';

const here = import.meta.dirname;
const RESULTS = join(here, 'results.md');
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

function version(pkg: string): string {
  try {
    return JSON.parse(readFileSync(join(here, '..', 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

function machine(loadBefore: number, loadAfter: number): string {
  const cpu = cpus();
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  return [
    `${new Date().toISOString().slice(0, 10)}; ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${gib(totalmem())} RAM (${gib(freemem())} free)`,
    `${type()} ${release()}; Node ${process.version}; onnxruntime-node ${version('onnxruntime-node')}`,
    `load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (1-minute; the benchmark itself adds about 1, the rest is other jobs on this machine)`,
  ].join('; ');
}

/** Runs one benchmark, echoing its output as it comes, and returns what it printed on stdout. */
function runOne(file: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, file)], {
      stdio: ['inherit', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('close', (code) => done({ code, stdout }));
  });
}

function writeSection(bench: string, body: string): void {
  writeFileSync(
    RESULTS,
    mergeResults(existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : undefined, bench, body),
  );
  // The repository's formatter also formats Markdown (aligned tables): keep `npm run lint` clean.
  spawnSync(join(here, '..', 'node_modules', '.bin', 'biome'), ['format', '--write', RESULTS], {
    stdio: 'ignore',
  });
}

let failed = 0;
for (const bench of benches) {
  process.stdout.write(`\n== ${bench}\n`);
  const loadBefore = loadavg()[0]!;
  const { code, stdout } = await runOne(bench);
  if (code !== 0) {
    failed++;
    continue;
  }
  const results = resultsIn(stdout);
  if (results) {
    writeSection(bench, `Machine: ${machine(loadBefore, loadavg()[0]!)}.\n\n${results}`);
    process.stdout.write(`(results written to bench/results.md)\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
