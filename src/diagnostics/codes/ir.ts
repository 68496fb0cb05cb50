import type { CatalogEntry } from './entry.js';

export const irCodes: Record<string, CatalogEntry> = {
  OR4001: {
    severity: 'error',
    title: 'not an ONNX model',
    message: "cannot read '{file}' as an ONNX model: {reason}",
  },
  OR4002: {
    severity: 'error',
    title: 'undefined value',
    message: "'{node}' reads '{name}', which no graph input, initializer or earlier node defines",
  },
  OR4003: {
    severity: 'error',
    title: 'value defined twice',
    message: "'{name}' is defined more than once (ONNX graphs are SSA across all scopes)",
  },
  OR4004: {
    severity: 'error',
    title: 'unsupported IR version',
    message: "'{file}' has ONNX IR version {version}; Offramp reads IR versions 3 to 11",
  },
  OR4005: {
    severity: 'error',
    title: 'If branches disagree',
    message: "If node '{node}': {reason}",
  },
  OR4006: {
    severity: 'error',
    title: 'missing opset import',
    message: "node '{node}' uses domain '{domain}', which the model does not import",
  },
  OR4007: {
    severity: 'error',
    title: 'not topologically ordered',
    message: "node '{node}' reads '{name}' before it is computed",
  },
  OR4008: {
    severity: 'error',
    title: 'external data unreadable',
    message: "the external data of tensor '{tensor}' cannot be read: {reason}",
  },
  OR4009: {
    severity: 'error',
    title: 'unknown pass',
    message: "the pipeline names pass '{name}', which is not registered",
  },
  OR4010: {
    severity: 'error',
    title: 'pass requirement unmet',
    message: "pass '{pass}' requires '{fact}', which no earlier pass in the pipeline ensures",
  },
  OR4011: {
    severity: 'error',
    title: 'pass broke the IR',
    message: "the IR verifier failed after pass '{pass}': {count} problem(s); reproducer: {reproducer}",
  },
  OR4012: {
    severity: 'error',
    title: 'cycle',
    message: 'the graph has a cycle: {nodes}',
  },
  OR4013: {
    severity: 'error',
    title: 'invalid pass options',
    message: "pass '{pass}': {reason}",
  },
  OR4014: {
    severity: 'error',
    title: 'layer cut invalid',
    message: "the cut after layer {layer} ('{tensor}') {reason}",
  },
  OR4015: {
    severity: 'warning',
    title: 'shape inference incomplete',
    message: "shape inference does not know op '{op}' (node '{node}'); its outputs keep their declared types",
  },
};
