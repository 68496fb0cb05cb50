import type { Severity } from '../types.js';

/** One catalog entry: a stable code's default severity, a short title, and its message template. */
export interface CatalogEntry {
  readonly severity: Severity;
  /** A few words naming the problem, for docs and `--json` consumers. */
  readonly title: string;
  /** Message template; `{name}` placeholders are filled from the arguments given at report time. */
  readonly message: string;
}
