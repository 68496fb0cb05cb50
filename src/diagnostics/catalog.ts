/**
 * The one catalog of diagnostic codes. Each phase owns a range and keeps its entries in
 * `codes/<phase>.ts`; this file merges them and guarantees that codes are unique.
 *
 *   OR1xxx  .ramp lexing and parsing          OR5xxx  compilation passes
 *   OR2xxx  .ramp semantic checks             OR6xxx  targets and legalization
 *   OR3xxx  linking against ONNX/safetensors  OR7xxx  CLI, files and I/O
 *   OR4xxx  ONNX import, IR and verifier      OR9xxx  internal errors
 */
import { cliCodes } from './codes/cli.js';
import { compileCodes } from './codes/compile.js';
import { dslCodes } from './codes/dsl.js';
import type { CatalogEntry } from './codes/entry.js';
import { internalCodes } from './codes/internal.js';
import { irCodes } from './codes/ir.js';
import { linkCodes } from './codes/link.js';
import { targetCodes } from './codes/target.js';

export type { CatalogEntry } from './codes/entry.js';

function merge(...groups: Record<string, CatalogEntry>[]): ReadonlyMap<string, CatalogEntry> {
  const all = new Map<string, CatalogEntry>();
  for (const group of groups) {
    for (const [code, entry] of Object.entries(group)) {
      if (all.has(code)) throw new Error(`diagnostic code ${code} is defined twice`);
      all.set(code, entry);
    }
  }
  return all;
}

export const catalog: ReadonlyMap<string, CatalogEntry> = merge(
  dslCodes,
  linkCodes,
  irCodes,
  compileCodes,
  targetCodes,
  cliCodes,
  internalCodes,
);
