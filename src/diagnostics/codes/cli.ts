import type { CatalogEntry } from './entry.js';

export const cliCodes: Record<string, CatalogEntry> = {
  OR7001: { severity: 'error', title: 'file not found', message: "cannot read '{file}': {reason}" },
  OR7002: {
    severity: 'error',
    title: 'output would overwrite an input',
    message: "refusing to write '{file}': it is one of the inputs. Choose another output directory.",
  },
  OR7003: { severity: 'error', title: 'bad data file', message: "cannot use data file '{file}': {reason}" },
  OR7004: {
    severity: 'error',
    title: 'bad config file',
    message: "config file '{file}': {reason}",
  },
  OR7005: {
    severity: 'error',
    title: 'unusable compiled artifact',
    message: "cannot use compiled artifact '{file}': {reason}",
  },
  OR7101: {
    severity: 'error',
    title: 'malformed .npy file',
    message: "'{file}' is not a usable .npy file: {reason}",
  },
  OR7102: {
    severity: 'error',
    title: 'unsupported .npy dtype',
    message: "'{file}' holds dtype '{descr}', which is not supported (supported: {supported})",
  },
  OR7103: {
    severity: 'error',
    title: 'Fortran-order .npy array',
    message: "'{file}' stores its array in Fortran order; save it in C order (np.ascontiguousarray) instead",
  },
};
