import { readFileSync } from 'node:fs';
import { type Diagnostic, diagnosticsToJson, formatDiagnostics, hasErrors } from '../diagnostics/index.js';
import { ExitCode } from './exit-codes.js';

export interface OutputOptions {
  readonly json: boolean;
  readonly color: boolean;
}

/** Reads the files the diagnostics point at, so the printer can draw code frames. */
function sourcesFor(diagnostics: readonly Diagnostic[]): Map<string, string> {
  const sources = new Map<string, string>();
  for (const d of diagnostics) {
    const file = d.span?.file;
    if (file === undefined || sources.has(file)) continue;
    try {
      sources.set(file, readFileSync(file, 'utf8'));
    } catch {
      // A frame is a convenience; the location line is printed regardless.
    }
  }
  return sources;
}

/** Prints diagnostics to stderr (human) and returns the exit code they imply. */
export function printDiagnostics(diagnostics: readonly Diagnostic[], options: OutputOptions): ExitCode {
  if (!options.json && diagnostics.length > 0) {
    process.stderr.write(
      `${formatDiagnostics(diagnostics, { sources: sourcesFor(diagnostics), color: options.color })}\n`,
    );
  }
  return hasErrors(diagnostics) ? ExitCode.userError : ExitCode.ok;
}

/** The one JSON envelope every command prints with `--json`: `{ ok, command, diagnostics, result }`. */
export function printJson(command: string, diagnostics: readonly Diagnostic[], result: unknown): void {
  const envelope = {
    ok: !hasErrors(diagnostics),
    command,
    diagnostics: diagnosticsToJson(diagnostics),
    result,
  };
  process.stdout.write(`${JSON.stringify(envelope, null, 2)}\n`);
}

export function useColor(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.NO_COLOR && !process.env.CI;
}
