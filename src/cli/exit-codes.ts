/** Stable process exit codes: pipelines branch on these, so they never change meaning. */
export const ExitCode = {
  ok: 0,
  /** The user's input has errors (diagnostics were printed). */
  userError: 1,
  /** The command line itself was wrong. */
  usage: 2,
  /** A bug in Offramp. */
  internal: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
