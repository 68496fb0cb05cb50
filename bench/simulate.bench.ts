/**
 * Simulator throughput (calibration's inner loop) in sample-exit steps per second, per policy:
 *
 *     node --import tsx bench/simulate.bench.ts [examples] [exits] [settings]
 *
 * Signals are random but typed and ranged as each policy records them; every setting replays the whole
 * recording through the spec's own `step` and the driver. Prints the median of 5 runs after one warm-up.
 */
import {
  type ParameterValues,
  type PolicyKind,
  policySpecs,
  recordingFromSignals,
  simulate,
} from '../src/policies/index.js';
import { rng } from '../test/policies/support/random.js';

const [examples = 800, exits = 12, settingCount = 40] = process.argv.slice(2).map(Number);
const random = rng(7);

function settingsFor(kind: PolicyKind, k: number): ParameterValues {
  const at = (k + 1) / (settingCount + 1);
  switch (kind) {
    case 'pabee':
      return { patience: k % exits };
    case 'qexit':
      return { q: at };
    case 'pondernet':
      return {};
    default:
      return { threshold: at };
  }
}

const kinds: PolicyKind[] = ['pabee', 'qexit', 'pondernet', 'jei', 'maxprob', 'entropy', 'margin', 'mamba'];
console.log(`${examples} examples × ${exits} exits × ${settingCount} settings`);
for (const kind of kinds) {
  const spec = policySpecs[kind];
  const signals = Array.from({ length: exits }, () =>
    Array.from({ length: examples }, () =>
      spec.signalType({}) === 'int64' ? Math.floor(random() * 3) : random() * (kind === 'jei' ? 0.4 : 1),
    ),
  );
  const recording = recordingFromSignals(spec, {
    exitLayers: Array.from({ length: exits }, (_, e) => e + 1),
    classes: 3,
    signals,
    predictions: signals.map(() => Int32Array.from({ length: examples }, () => Math.floor(random() * 3))),
  });
  const settings = Array.from({ length: settingCount }, (_, k) => settingsFor(kind, k));
  const uniforms = spec.needsUniform
    ? { uniforms: Float32Array.from({ length: examples * exits }, random) }
    : {};
  const times: number[] = [];
  for (let run = 0; run < 6; run++) {
    const start = performance.now();
    simulate(spec, recording, settings, uniforms);
    if (run > 0) times.push(performance.now() - start);
  }
  const median = times.sort((a, b) => a - b)[times.length >> 1]!;
  const steps = examples * exits * settingCount;
  console.log(`${kind.padEnd(10)} ${(steps / (median / 1000) / 1e6).toFixed(2)} M steps/s`);
}
