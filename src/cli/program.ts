import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { COMPILER_ID } from '../compiler/index.js';
import { diagnostic, formatDiagnostic } from '../diagnostics/index.js';
import { benchCommand } from './commands/bench.js';
import { calibrateCommand } from './commands/calibrate.js';
import { checkCommand } from './commands/check.js';
import { compileCommand } from './commands/compile.js';
import { fmtCommand } from './commands/fmt.js';
import { inspectCommand } from './commands/inspect.js';
import { runCommand } from './commands/run.js';
import { ExitCode } from './exit-codes.js';
import { useColor } from './output.js';

/** Runs a command; any exception is a bug in Offramp: exit 3 with a short message, never a stack trace. */
function guarded<A extends unknown[]>(action: (...args: A) => Promise<number>, debug: () => boolean) {
  return async (...args: A) => {
    try {
      process.exitCode = await action(...args);
    } catch (error) {
      const d = diagnostic('OR9001', { detail: (error as Error).message ?? String(error) });
      process.stderr.write(`${formatDiagnostic(d)}\n`);
      if (debug()) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
      process.exitCode = ExitCode.internal;
    }
  };
}

/** A whole number ≥ 1 (`--batch`, `--runs`, `--limit`); anything else is a usage error (exit 2). */
function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

const targetOption = () =>
  new Option('-t, --target <name>', 'which compiled target to run')
    .choices(['cpu', 'cuda', 'webgpu'])
    .default('cpu');
const formOption = () =>
  new Option('--form <form>', 'chain or segmented (default: segmented when the target asks for it)').choices([
    'chain',
    'segmented',
  ]);

export function buildProgram(): Command {
  const program = new Command('offramp')
    .description('Compile early-exit neural networks from .ramp files and ONNX backbones.')
    .version(COMPILER_ID.split(' ')[1]!, '-v, --version')
    .option('--json', 'machine-readable output on stdout', false)
    .option('--debug', 'verify the IR after every pass; show stack traces of internal errors', false)
    .showHelpAfterError()
    .exitOverride();
  const common = () => ({ json: program.opts().json as boolean, color: useColor() });
  const debug = () => program.opts().debug as boolean;

  program
    .command('compile')
    .description('compile a .ramp file into models, a manifest and a report')
    .argument('[file]', 'the .ramp file (default: the models of offramp.config.json)')
    .option('-o, --out <dir>', 'output directory (one folder per model)', 'out')
    .option('-c, --config <file>', 'a config file listing models (offramp.config.json / .mjs / .js)')
    .option('-w, --watch', 'recompile when the .ramp file or a file it reads changes', false)
    .option('-t, --target <name...>', 'only these targets (cpu, cuda, webgpu)')
    .option('--print-ir-after <passes>', "print the IR after these passes (comma-separated, or 'all')")
    .option('--timing', 'print how long each pass took (to stderr)', false)
    .option('--dry-run', 'compile but write nothing', false)
    .action(
      guarded(
        (file: string | undefined, o: Record<string, unknown>) =>
          compileCommand(file, { ...common(), ...(o as object), debug: debug() } as never),
        debug,
      ),
    );

  program
    .command('check')
    .description('parse, check and link a .ramp file against its ONNX and safetensors files')
    .argument('<file>', 'the .ramp file')
    .action(guarded((file: string) => checkCommand(file, common()), debug));

  program
    .command('fmt')
    .description('rewrite .ramp files in canonical form, keeping comments')
    .argument('<files...>', '.ramp files')
    .option('--check', 'write nothing; exit 1 if a file is not in canonical form', false)
    .action(
      guarded(
        (files: string[], o: { check: boolean }) => fmtCommand(files, { ...common(), check: o.check }),
        debug,
      ),
    );

  program
    .command('inspect')
    .description("show a model's inputs, outputs, ops and discovered layers")
    .argument('<model>', 'an .onnx file')
    .option('--layers <pattern>', 'layer name pattern with {i}')
    .option('--sequence-length <n>', 'sequence length FLOPs are counted at', '128')
    .action(
      guarded(
        (file: string, o: Record<string, unknown>) =>
          inspectCommand(file, { ...common(), ...(o as object) } as never),
        debug,
      ),
    );

  program
    .command('run')
    .description('run a compiled artifact on .npy inputs; report accuracy, exits and speed-up')
    .argument('<artifact>', 'a compiled model directory (with manifest.json)')
    .requiredOption(
      '-d, --data <dir>',
      'folder with one <input>.npy per model input, and optionally labels.npy',
    )
    .option('-b, --batch <n>', 'batch size', positiveInteger, 1)
    .option('-p, --param <name=value...>', 'override a policy parameter, e.g. patience=3')
    .option('--backbone <onnx>', 'also time the original backbone on the same data, side by side')
    .option('--limit <n>', 'use only the first n examples', positiveInteger)
    .addOption(targetOption())
    .addOption(formOption())
    .action(
      guarded(
        (artifact: string, o: Record<string, unknown>) =>
          runCommand(artifact, { ...common(), ...(o as object) } as never),
        debug,
      ),
    );

  program
    .command('bench')
    .description('time a compiled model against its backbone side by side on .npy data')
    .argument('<file>', 'a .ramp file (compiled into a temporary directory) or a compiled artifact directory')
    .requiredOption('-d, --data <dir>', 'folder with one <input>.npy per model input')
    .option('-b, --batch <n>', 'batch size', positiveInteger, 1)
    .option(
      '-r, --runs <n>',
      'passes over the data for each model (medians are reported)',
      positiveInteger,
      5,
    )
    .option('--limit <n>', 'use only the first n examples', positiveInteger)
    .option('-p, --param <name=value...>', 'override a policy parameter, e.g. threshold=0.4')
    .option('--backbone <onnx>', 'the backbone to compare with (default: the one the manifest records)')
    .addOption(targetOption())
    .addOption(formOption())
    .action(
      guarded(
        (file: string, o: Record<string, unknown>) =>
          benchCommand(file, { ...common(), ...(o as object) } as never),
        debug,
      ),
    );

  program
    .command('calibrate')
    .description('choose policy parameters for an accuracy budget by replaying recorded exits')
    .argument('<file>', 'the .ramp file')
    .option(
      '-d, --data <path>',
      'a folder with one <input>.npy per model input (+ labels.npy), or a .jsonl file of ' +
        '{"input_ids": [...], "attention_mask"?: [...], "label"?: n} lines; without labels, quality is ' +
        "agreement with the full model (default: the model's calibration { dataset })",
    )
    .option(
      '--budget <loss>',
      "largest accepted quality loss, e.g. 1% or 0.01 (default: the model's calibration { accuracy_budget }, else 1%)",
    )
    .option('--delta <p>', 'also certify the budget with probability 1 - p (risk control), e.g. 0.05')
    .option('--artifact <dir>', "write the chosen parameters into this compiled artifact's manifest defaults")
    .option('--report <dir>', 'write calibration.html, calibration.md and tradeoff.svg here')
    .option('--model <name>', 'which model of the file (default: the first)')
    .action(
      guarded(
        (file: string, o: Record<string, unknown>) =>
          calibrateCommand(file, { ...common(), ...(o as object) } as never),
        debug,
      ),
    );

  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    throw error;
  }
}
