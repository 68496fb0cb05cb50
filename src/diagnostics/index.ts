export { type CatalogEntry, catalog } from './catalog.js';
export {
  codeFrame,
  diagnosticsToJson,
  formatDiagnostic,
  formatDiagnostics,
  type PrintOptions,
} from './printer.js';
export { diagnostic, formatTemplate, type ReportOptions } from './report.js';
export { closestMatch, editDistance } from './suggest.js';
export type {
  Diagnostic,
  GraphLocation,
  RelatedInformation,
  Severity,
  SourcePosition,
  SourceSpan,
} from './types.js';
export { hasErrors } from './types.js';
