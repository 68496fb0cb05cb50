/**
 * Compile time and peak memory on large backbones (issue #8, benchmark 4): `node --import tsx bench/compile.bench.ts`
 * (or `npm run bench -- compile`; `BENCH_MODELS=base,large` picks models, `BENCH_RUNS` the runs per model).
 *
 * Three backbones with real export structure and naming (`test/ir/support/transformer.ts`), generated here:
 *   - BERT-base size (12 × H 768, FFN 3072, vocab 30522; 110M parameters, weights inline, ~440 MB),
 *   - BERT-large size (24 × H 1024, FFN 4096, vocab 30522; 335M parameters, inline, ~1.3 GB),
 *   - a 7B-parameter model (32 × H 4096, FFN 18432, vocab 32000, fp16) whose 13 GiB of weights live in an
 *     external-data file (written sparse: the benchmark does not need real numbers, only real sizes).
 * Each gets linear exit heads after every layer (a generated safetensors file) and the max-prob policy, and is
 * compiled through the programmatic `compile()` in a fresh process (so peak RSS is the compile's alone), the
 * artifact written to disk. Side by side: the floor any compiler that writes a self-contained artifact pays,
 * reading the backbone's files and writing them again (fsync'd).
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  copyFileSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compile } from '../src/compiler/index.js';
import { encodeSafetensors } from '../src/io/safetensors.js';
import { saveModel, writeModel } from '../src/ir/index.js';
import { buildEncoder, type TransformerSpec } from '../test/ir/support/transformer.js';
import { printResults } from './results.js';

interface BenchModel {
  readonly label: string;
  readonly spec: TransformerSpec;
  /** Weights in a side file (written sparse) rather than inline. */
  readonly external: boolean;
}

const MODELS: Readonly<Record<string, BenchModel>> = {
  base: {
    label: 'BERT-base size (12 × H 768), inline weights',
    spec: { layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 30522, classes: 2 },
    external: false,
  },
  large: {
    label: 'BERT-large size (24 × H 1024), inline weights',
    spec: { layers: 24, hidden: 1024, heads: 16, intermediate: 4096, vocab: 30522, classes: 2 },
    external: false,
  },
  '7b': {
    label: '7B parameters (32 × H 4096, fp16), external data',
    spec: {
      layers: 32,
      hidden: 4096,
      heads: 32,
      intermediate: 18432,
      vocab: 32000,
      classes: 2,
      scope: '/model/layers.{i}/',
      weightType: 'float16',
      weights: { external: 'model.onnx.data' },
    },
    external: true,
  },
};

const peakRssBytes = () => process.resourceUsage().maxRSS * 1024;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
type Report = Record<string, number | string>;

function rampSource(model: BenchModel): string {
  const scope = model.spec.scope ?? '/encoder/layer.{i}/';
  return [
    'model bench {',
    `  backbone "model.onnx" { layers "${scope}" }`,
    '  exits after all {',
    '    pool cls',
    `    head linear(classes: ${model.spec.classes ?? 2})`,
    '    weights "heads.safetensors" key "exit.{i}."',
    '  }',
    '  policy maxprob { threshold: 0.9 }',
    '  target cpu',
    '}',
    '',
  ].join('\n');
}

/** Child steps: each prints one JSON line. */
async function child(step: string, key: string, dir: string): Promise<Report> {
  const model = MODELS[key]!;
  const path = join(dir, 'model.onnx');
  switch (step) {
    case 'generate': {
      mkdirSync(dir, { recursive: true });
      const { model: built, externalBytes } = buildEncoder(model.spec);
      if (model.external) {
        // Sparse: the side file has its full length but no blocks.
        const fd = openSync(join(dir, 'model.onnx.data'), 'w');
        ftruncateSync(fd, externalBytes);
        closeSync(fd);
        writeFileSync(path, writeModel(built));
      } else await saveModel(built, path);
      const { hidden, layers, classes = 2 } = model.spec;
      const heads = Array.from({ length: layers }, (_, i) => [
        {
          name: `exit.${i}.weight`,
          shape: [classes, hidden],
          data: new Float32Array(classes * hidden).fill(0.01),
        },
        { name: `exit.${i}.bias`, shape: [classes], data: new Float32Array(classes) },
      ]).flat();
      writeFileSync(join(dir, 'heads.safetensors'), encodeSafetensors(heads));
      writeFileSync(join(dir, 'bench.ramp'), rampSource(model));
      return { bytes: statSync(path).size, externalBytes: model.external ? externalBytes : 0 };
    }
    case 'floor': {
      // Read every backbone file and write it again, durably: what a self-contained artifact costs at least.
      const started = performance.now();
      const out = join(dir, 'floor');
      mkdirSync(out, { recursive: true });
      const bytes = readFileSync(path);
      const fd = openSync(join(out, 'model.onnx'), 'w');
      writeSync(fd, bytes);
      fsyncSync(fd);
      closeSync(fd);
      if (model.external) {
        copyFileSync(join(dir, 'model.onnx.data'), join(out, 'model.onnx.data'), constants.COPYFILE_FICLONE);
        const side = openSync(join(out, 'model.onnx.data'), 'r+');
        fsyncSync(side);
        closeSync(side);
      }
      const ms = performance.now() - started;
      rmSync(out, { recursive: true, force: true });
      return { ms, rss: peakRssBytes() };
    }
    case 'compile':
    case 'compile-dry': {
      // compile-dry: everything but writing the artifact (the compiler's own work, without the I/O).
      const dryRun = step === 'compile-dry';
      const started = performance.now();
      const outDir = join(dir, 'out');
      const result = await compile({ file: join(dir, 'bench.ramp'), outDir, dryRun });
      const ms = performance.now() - started;
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0 || result.artifacts.length !== 1)
        throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n') || 'no artifact');
      const artifact = result.artifacts[0]!;
      const rss = peakRssBytes();
      rmSync(outDir, { recursive: true, force: true });
      return { ms, rss, weightFiles: artifact.weightFiles.length };
    }
    default:
      throw new Error(`unknown step ${step}`);
  }
}

function run(step: string, key: string, dir: string): Report {
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, step, key, dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${step} ${key} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** Node + tsx + the compiler's modules loaded, nothing compiled: the RSS no compile can go below. */
function runtimeRss(): number {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "await import('./src/compiler/index.js'); console.log(process.resourceUsage().maxRSS * 1024)",
    ],
    { encoding: 'utf8', cwd: join(dirname(import.meta.filename), '..') },
  );
  return Number(r.stdout.trim());
}

async function main(): Promise<void> {
  const keys = (process.env.BENCH_MODELS ?? 'base,large,7b').split(',').filter((k) => k in MODELS);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const root = mkdtempSync(join(tmpdir(), 'offramp-compile-bench-'));
  const rows: string[] = [];
  try {
    for (const key of keys) {
      const model = MODELS[key]!;
      const dir = join(root, key);
      const generated = run('generate', key, dir);
      const fileBytes = Number(generated.bytes) + Number(generated.externalBytes);
      const floors: Report[] = [];
      const compiles: Report[] = [];
      const dry: Report[] = [];
      // The 7B side file is 13 GiB written per run: two runs are enough there.
      const count = model.external ? Math.min(runs, 2) : runs;
      for (let k = 0; k < count; k++) {
        // Alternate which goes first, so neither always finds the other's pages in the cache.
        if (k % 2 === 0) floors.push(run('floor', key, dir));
        compiles.push(run('compile', key, dir));
        dry.push(run('compile-dry', key, dir));
        if (k % 2 === 1) floors.push(run('floor', key, dir));
      }
      const median = (rs: Report[], field: string) => {
        const sorted = rs.map((r) => Number(r[field])).sort((a, b) => a - b);
        return sorted[Math.floor(sorted.length / 2)]!;
      };
      const floorMs = median(floors, 'ms');
      const compileMs = median(compiles, 'ms');
      const rss = median(compiles, 'rss');
      const inline = Number(generated.bytes);
      const perFile = model.external
        ? `weights not read (.onnx ${mb(inline)})`
        : `${(rss / inline).toFixed(2)}× the .onnx (${mb(inline)})`;
      const dryMs = median(dry, 'ms');
      const line = `| ${model.label} | ${mb(fileBytes)} | ${(dryMs / 1000).toFixed(2)} s, ${mb(median(dry, 'rss'))} | ${(compileMs / 1000).toFixed(2)} s | ${(floorMs / 1000).toFixed(2)} s | ${(compileMs / floorMs).toFixed(2)}× | ${mb(rss)} | ${perFile} |`;
      console.log(line);
      rows.push(line);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  printResults(
    [
      '### Compile time and peak RSS on large backbones',
      '',
      `Programmatic \`compile()\` in a fresh process per run (linear exit heads after every layer, max-prob policy,`,
      `target cpu, chain form), artifact written and fsync'd; median of ${runs} runs (2 for the 7B), alternating with the floor: reading`,
      "the backbone's files and writing them again (fsync'd), which any self-contained artifact costs; and the same",
      "compile with `dryRun` (everything but writing), the compiler's own work. Node, tsx and the compiler's modules",
      `alone take ${mb(runtimeRss())} RSS. External weights are copied into the artifact (reflinked where the file`,
      'system can); the 7B side file is sparse, but its copy writes every block, so disk speed decides that row.',
      '',
      '| backbone | files | compile, nothing written (time, peak RSS) | compile + write | floor (read + write) | compile + write ÷ floor | peak RSS | RSS ÷ model file |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
}

if (process.argv[2] && process.argv[3] && process.argv[4]) {
  console.log(JSON.stringify(await child(process.argv[2], process.argv[3], process.argv[4])));
} else {
  await main();
}
