import type { CatalogEntry } from './entry.js';

/**
 * OR6xxx: targets and legalization. The OR600x placement codes default to `error`; a target profile's
 * `fallbackSeverity` may lower them to `warning` (a CPU round trip is slow, not wrong).
 */
export const targetCodes: Record<string, CatalogEntry> = {
  OR6001: {
    severity: 'error',
    title: 'operator not on target',
    message: "node '{node}' ({op}) would run on the CPU: {target} has no {op} kernel{reason}",
  },
  OR6002: {
    severity: 'error',
    title: 'operator version not on target',
    message:
      "node '{node}' would run on the CPU: at opset {opset} it is {op}-{version}, but {target} registers {op} only for {registered} (ORT's \"N+\" means exactly since-version N)",
  },
  OR6003: {
    severity: 'error',
    title: 'element type not on target',
    message:
      "node '{node}' ({op}) would run on the CPU: its {port} is {type}, but {target} registers {op} only for {param} in [{allowed}]",
  },
  OR6004: {
    severity: 'error',
    title: 'operator unknown to Offramp',
    message:
      "node '{node}': Offramp has no version history for {domain}::{op}, so it cannot tell whether {target} runs it",
  },
  OR6005: {
    severity: 'error',
    title: 'operator did not exist at this opset',
    message:
      "node '{node}': {op} does not exist at {domain} opset {opset} (it first appears in opset {first})",
  },
  OR6006: {
    severity: 'error',
    title: 'operator cannot be moved to the target opset',
    message:
      "node '{node}' ({op}) cannot be re-targeted from opset {from} to {to}: its definition changed ({op}-{fromVersion} → {op}-{toVersion}) and Offramp has no adapter for it",
  },
  OR6010: {
    severity: 'error',
    title: 'invalid target profile',
    message: "target profile '{file}' is invalid: {reason}",
  },
  OR6011: {
    severity: 'error',
    title: 'unknown target',
    message: "unknown target '{name}'; known targets: {known}",
  },
};
