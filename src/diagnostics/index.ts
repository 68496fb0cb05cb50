export type { Diagnostic, GraphLocation, RelatedInformation, Severity, SourcePosition, SourceSpan } from './types.js';
export { hasErrors } from './types.js';
export { catalog, type CatalogEntry } from './catalog.js';
export { diagnostic, formatTemplate, type ReportOptions } from './report.js';
export { codeFrame, diagnosticsToJson, formatDiagnostic, formatDiagnostics, type PrintOptions } from './printer.js';
export { closestMatch, editDistance } from './suggest.js';
