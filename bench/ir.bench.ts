/**
 * IR benchmark: `node --import tsx bench/ir.bench.ts`.
 *
 * 1. A BERT-base-size encoder (12 layers, H 768, 12 heads, FFN 3072, vocab 30522: 110M parameters,
 *    ~440 MB, weights inline) generated here with the fixture's structure and exporter naming. Side by
 *    side: reading + writing its bytes, and reading + importing + exporting + writing it through the IR.
 *    Targets: IR ≤ 2× the byte copy; peak RSS ≤ 2× the file.
 * 2. A 7B-parameter model of the same structure (32 layers, H 4096, FFN 18432, vocab 32000, fp16) whose
 *    weights live in a 13 GiB external-data file written sparsely (no bytes hit the disk). `inspect`
 *    (import, shape inference, layer discovery, parameters and FLOPs) must take < 10 s and < 1 GB RSS.
 *
 * Each measurement runs in a fresh child process, so peak RSS is that step's alone. Files go to a temp
 * directory that is removed at the end.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
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
import { join } from 'node:path';
import { formatInspectReport, inspectModel, readModel, saveModel, writeModel } from '../src/ir/index.js';
import { buildEncoder } from '../test/ir/support/transformer.js';

const BASE = { layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 30522, classes: 2 } as const;
const SEVEN_B = {
  layers: 32,
  hidden: 4096,
  heads: 32,
  intermediate: 18432,
  vocab: 32000,
  classes: 2,
} as const;

const peakRssBytes = () => process.resourceUsage().maxRSS * 1024;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

type Report = Record<string, number | string | boolean>;

/** Child steps: each prints one JSON line. */
async function child(step: string, path: string): Promise<Report> {
  switch (step) {
    case 'generate-base': {
      const { model } = buildEncoder(BASE);
      await saveModel(model, path);
      return { bytes: statSync(path).size };
    }
    case 'generate-7b': {
      const { model, externalBytes } = buildEncoder({
        ...SEVEN_B,
        scope: '/model/layers.{i}/',
        weightType: 'float16',
        weights: { external: 'model.onnx.data' },
      });
      // Sparse: the file has its full length but no blocks, so nothing is written to disk.
      const fd = openSync(join(path, '..', 'model.onnx.data'), 'w');
      ftruncateSync(fd, externalBytes);
      closeSync(fd);
      writeFileSync(path, writeModel(model));
      return { bytes: statSync(path).size, externalBytes };
    }
    case 'copy-base': {
      // The floor: read the bytes, write them durably (fsync, as saveModel does) under another name.
      const started = performance.now();
      const bytes = readFileSync(path);
      const fd = openSync(`${path}.copy`, 'w');
      writeSync(fd, bytes);
      fsyncSync(fd);
      closeSync(fd);
      return { ms: performance.now() - started, rss: peakRssBytes() };
    }
    case 'ir-base': {
      // Import, then export streamed to a file (saveModel): weight bytes go from the input buffer to disk.
      const started = performance.now();
      const { model, diagnostics } = await readModel(path);
      if (!model) throw new Error(diagnostics.map((d) => d.message).join('\n'));
      const imported = performance.now();
      await saveModel(model, `${path}.ir`);
      const done = performance.now();
      const rss = peakRssBytes();
      return {
        ms: done - started,
        importMs: imported - started,
        exportMs: done - imported,
        rss,
        identical: Buffer.compare(readFileSync(path), readFileSync(`${path}.ir`)) === 0,
      };
    }
    case 'ir-base-memory': {
      // Import, then writeModel → one Uint8Array → write it: the in-memory path.
      const started = performance.now();
      const { model, diagnostics } = await readModel(path);
      if (!model) throw new Error(diagnostics.map((d) => d.message).join('\n'));
      const imported = performance.now();
      const out = writeModel(model);
      const fd = openSync(`${path}.mem`, 'w');
      writeSync(fd, out);
      fsyncSync(fd);
      closeSync(fd);
      const done = performance.now();
      return {
        ms: done - started,
        importMs: imported - started,
        exportMs: done - imported,
        rss: peakRssBytes(),
      };
    }
    case 'inspect-7b': {
      const started = performance.now();
      const { model, diagnostics } = await readModel(path);
      if (!model) throw new Error(diagnostics.map((d) => d.message).join('\n'));
      const imported = performance.now();
      const report = inspectModel(model, { sequenceLength: 2048, file: path });
      const text = formatInspectReport(report);
      return {
        ms: performance.now() - started,
        importMs: imported - started,
        rss: peakRssBytes(),
        parameters: report.parameters,
        layers: report.layers.length,
        cut: report.layers.at(-1)?.cut.type ?? '',
        flops: report.flops,
        lines: text.split('\n').length,
      };
    }
    case 'resave-7b': {
      // Import and save beside the original: the output keeps referencing the 13 GiB side file.
      const started = performance.now();
      const { model, diagnostics } = await readModel(path);
      if (!model) throw new Error(diagnostics.map((d) => d.message).join('\n'));
      const saved = await saveModel(model, join(path, '..', 'resaved.onnx'));
      const again = await readModel(saved.path);
      const referenced = [...again.model!.graph.initializers.values()].filter(
        (init) => init.external?.location === 'model.onnx.data',
      ).length;
      return { ms: performance.now() - started, rss: peakRssBytes(), bytes: saved.bytes, referenced };
    }
    default:
      throw new Error(`unknown step ${step}`);
  }
}

function run(step: string, path: string): Report {
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, step, path], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${step} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** Node + tsx alone, so the RSS figures can be read net of the runtime. */
function runtimeRss(): number {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', 'console.log(process.resourceUsage().maxRSS * 1024)'],
    {
      encoding: 'utf8',
    },
  );
  return Number(r.stdout.trim());
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'offramp-ir-bench-'));
  try {
    const runtime = runtimeRss();
    const base = join(dir, 'base', 'model.onnx');
    const { bytes } = run('generate-base', base) as { bytes: number };
    const copies: Report[] = [];
    const irs: Report[] = [];
    const inMemory: Report[] = [];
    for (let k = 0; k < 3; k++) {
      copies.push(run('copy-base', base));
      irs.push(run('ir-base', base));
      inMemory.push(run('ir-base-memory', base));
    }
    const median = (rs: Report[], key: string) => rs.map((r) => Number(r[key])).sort((a, b) => a - b)[1]!;
    const copyMs = median(copies, 'ms');
    const irMs = median(irs, 'ms');
    const irRss = median(irs, 'rss');
    console.log(
      `BERT-base-size encoder, ${mb(bytes)} (${BASE.layers} layers, H ${BASE.hidden}), median of 3, fresh process each`,
    );
    console.log(
      `  read + write bytes (fsync):         ${copyMs.toFixed(0)} ms, peak RSS ${mb(median(copies, 'rss'))}`,
    );
    console.log(
      `  read + import + saveModel (stream): ${irMs.toFixed(0)} ms (import ${median(irs, 'importMs').toFixed(0)} ms, export ${median(irs, 'exportMs').toFixed(0)} ms), peak RSS ${mb(irRss)}`,
    );
    console.log(
      `  read + import + writeModel + write: ${median(inMemory, 'ms').toFixed(0)} ms (export ${median(inMemory, 'exportMs').toFixed(0)} ms), peak RSS ${mb(median(inMemory, 'rss'))}`,
    );
    console.log(
      `  ratio time ${(irMs / copyMs).toFixed(2)}× (target ≤ 2), RSS/file ${(irRss / bytes).toFixed(2)}× (target ≤ 2; node + tsx alone: ${mb(runtime)})`,
    );
    console.log(`  export identical to the input: ${irs.every((r) => r.identical)}`);
    rmSync(join(dir, 'base'), { recursive: true, force: true });

    const seven = join(dir, '7b', 'model.onnx');
    const generated = run('generate-7b', seven) as { bytes: number; externalBytes: number };
    const inspected = [run('inspect-7b', seven), run('inspect-7b', seven), run('inspect-7b', seven)];
    const i = inspected[1]!;
    console.log(
      `7B-parameter model (${SEVEN_B.layers} layers, H ${SEVEN_B.hidden}, fp16): ${mb(generated.bytes)} graph + ${(generated.externalBytes / 2 ** 30).toFixed(1)} GiB sparse external data`,
    );
    console.log(
      `  inspect at sequence 2048: ${median(inspected, 'ms').toFixed(0)} ms (import ${median(inspected, 'importMs').toFixed(0)} ms), peak RSS ${mb(median(inspected, 'rss'))} (targets < 10 s, < 1 GB)`,
    );
    const resaved = run('resave-7b', seven);
    console.log(
      `  import + saveModel beside it: ${Number(resaved.ms).toFixed(0)} ms, peak RSS ${mb(Number(resaved.rss))}; ${resaved.referenced} tensors still reference the original side file`,
    );
    console.log(
      `  found ${i.layers} layers, ${(Number(i.parameters) / 1e9).toFixed(2)}B parameters, cut ${i.cut}, ${(Number(i.flops) / 1e12).toFixed(1)} TFLOPs`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [step, path] = process.argv.slice(2);
if (step && path) {
  if (step.startsWith('generate')) mkdirSync(join(path, '..'), { recursive: true });
  console.log(JSON.stringify(await child(step, path)));
} else {
  await main();
}
