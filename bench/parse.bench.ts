/**
 * Parse + check of a generated 10,000-line `.ramp` file (500 models of 20 lines, every construct), side by
 * side: the `tsc` build in `dist/` (what the `offramp` binary runs; `npm ci` builds it) and the TypeScript
 * source under tsx (esbuild's `keepNames` adds a `__name` call to every inline grammar closure).
 * Run: node --import tsx bench/parse.bench.ts
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkRamp as checkFromSource } from '../src/parser/index.js';

type CheckRamp = typeof checkFromSource;
const DIST_PARSER = fileURLToPath(new URL('../dist/src/parser/index.js', import.meta.url));

function modelText(k: number): string {
  const policies = [
    'policy pabee { patience: 2, min_exit: 2 }',
    'policy entropy { thresholds: [0.2, 0.3, 4.5e-1], normalized: true }',
    'policy qexit { q: 0.5, lambda: mlp(layers: 1) weights "heads.safetensors" key "palbert.lambda." }',
    'policy jei { gates: weights "heads.safetensors" key "jei.gate.{i}.", threshold: 0.5 }',
  ];
  return `# model ${k}
model m${k} {
  backbone "../fixtures/encoder/backbone.onnx" {
    layers "/bert/encoder/layer.{i}/"
    inputs ["input_ids", "attention_mask"]
  }

  exits after [2, 4, 6] {
    pool cls
    head pooler + linear(classes: 4)
    weights "heads.safetensors" {
      pooler: "pabee.pooler."
      linear: "pabee.classifier.{i}." # per exit
    }
  }
  ${policies[k % policies.length]}
  target cpu
  target cuda { precision: fp16 }
  sdk { name: "Model${k}", runtime: both }
}
`;
}

/** The benchmark input: 500 models, 20 lines each. */
export function benchSource(): string {
  return Array.from({ length: 500 }, (_, k) => modelText(k)).join('');
}

function measure(label: string, checkRamp: CheckRamp, source: string, lines: number): void {
  const time = () => {
    const t = performance.now();
    const r = checkRamp(source, 'bench.ramp');
    const ms = performance.now() - t;
    if (r.models?.length !== 500)
      throw new Error(`benchmark input does not check clean: ${r.diagnostics[0]?.message}`);
    return ms;
  };
  for (let k = 0; k < 5; k++) time(); // warm-up (JIT, Chevrotain's lookahead caches)
  const runs = Array.from({ length: 21 }, time).sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)]!;
  console.log(
    `parse + check, ${lines} lines (${(source.length / 1024).toFixed(0)} KiB), ${label}: median ${median.toFixed(1)} ms, min ${runs[0]!.toFixed(1)} ms, max ${runs[runs.length - 1]!.toFixed(1)} ms over ${runs.length} runs`,
  );
}

async function main(): Promise<void> {
  const source = benchSource();
  const lines = source.split('\n').length - 1;
  if (existsSync(DIST_PARSER)) {
    const dist = (await import(pathToFileURL(DIST_PARSER).href)) as { checkRamp: CheckRamp };
    measure('tsc build (dist/)', dist.checkRamp, source, lines);
  } else {
    console.log('dist/ is not built (npm run build): measuring the source only');
  }
  measure('source under tsx', checkFromSource, source, lines);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
