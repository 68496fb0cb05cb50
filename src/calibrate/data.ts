import { readFile, stat } from 'node:fs/promises';
import { type Diagnostic, diagnostic } from '../diagnostics/index.js';
import { type NpyArray, readNpyFolder } from '../io/index.js';

/** Calibration data by name: one array per model input (first axis = examples) and, optionally, `labels`. */
export interface CalibrationData {
  readonly arrays: Map<string, NpyArray>;
  readonly diagnostics: Diagnostic[];
}

/** Token id used to pad JSONL rows of different lengths (BERT-style vocabularies put `[PAD]` at 0). */
export const JSONL_PAD_ID = 0;

const bad = (file: string, reason: string) => diagnostic('OR7003', { file, reason }, { graph: { file } });

/**
 * Reads calibration data from either a folder of `.npy` files (`<input>.npy` per model input, `labels.npy`)
 * or a JSONL file (`.jsonl`/`.ndjson`): one example per line, e.g.
 * `{"input_ids": [1, 17, 5], "attention_mask": [1, 1, 1], "label": 2}`.
 *
 * JSONL rules: every key holding an array of integers is a model input of that name (int64); rows of
 * different lengths are right-padded with {@link JSONL_PAD_ID} to the longest row. Without an
 * `attention_mask` key, one is made from `input_ids` (1 on the row's own tokens, 0 on padding); a given
 * mask pads with 0 like the ids. `label` (an integer) is optional, but on every line or on none.
 * Problems are OR7003 diagnostics naming `file:line`; nothing is thrown.
 */
export async function readCalibrationData(path: string): Promise<CalibrationData> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    // A missing path: the folder reader reports it (OR7001).
  }
  const result = isFile ? await readJsonl(path) : await readNpyFolder(path);
  if (result.diagnostics.length === 0) result.diagnostics.push(...sameLength(path, result.arrays));
  return result;
}

function sameLength(file: string, arrays: ReadonlyMap<string, NpyArray>): Diagnostic[] {
  const counts = [...arrays].map(([name, a]) => `${name}: ${a.shape[0] ?? 1}`);
  const distinct = new Set([...arrays.values()].map((a) => a.shape[0] ?? 1));
  if (arrays.size === 0) return [bad(file, 'no arrays found (expected <input>.npy files or JSONL lines)')];
  return distinct.size > 1
    ? [bad(file, `the arrays disagree on the number of examples (${counts.join(', ')})`)]
    : [];
}

const isIntegerArray = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x));

async function readJsonl(file: string): Promise<CalibrationData> {
  const diagnostics: Diagnostic[] = [];
  const arrays = new Map<string, NpyArray>();
  if (!/\.(jsonl|ndjson)$/i.test(file)) {
    diagnostics.push(bad(file, 'a data file must be JSONL (.jsonl or .ndjson); a folder holds .npy files'));
    return { arrays, diagnostics };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    diagnostics.push(diagnostic('OR7001', { file, reason: (error as Error).message }, { graph: { file } }));
    return { arrays, diagnostics };
  }
  const rows: { line: number; inputs: Map<string, number[]>; label?: number }[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      diagnostics.push(bad(`${file}:${line}`, `not JSON (${(error as Error).message})`));
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      diagnostics.push(bad(`${file}:${line}`, 'each line must be one JSON object'));
      return;
    }
    const inputs = new Map<string, number[]>();
    let label: number | undefined;
    for (const [key, v] of Object.entries(value)) {
      if (key === 'label') {
        if (typeof v === 'number' && Number.isInteger(v) && v >= 0) label = v;
        else
          diagnostics.push(
            bad(`${file}:${line}`, `'label' must be a non-negative integer, not ${JSON.stringify(v)}`),
          );
      } else if (isIntegerArray(v)) {
        if (v.length === 0) diagnostics.push(bad(`${file}:${line}`, `'${key}' is empty`));
        inputs.set(key, v);
      } else {
        diagnostics.push(bad(`${file}:${line}`, `'${key}' must be an array of integers (token ids)`));
      }
    }
    const ids = inputs.get('input_ids');
    const mask = inputs.get('attention_mask');
    if (ids && mask && mask.length !== ids.length)
      diagnostics.push(
        bad(
          `${file}:${line}`,
          `'attention_mask' has ${mask.length} entries, 'input_ids' ${ids.length}: they must match`,
        ),
      );
    rows.push({ line, inputs, ...(label !== undefined ? { label } : {}) });
  });
  if (rows.length === 0) {
    diagnostics.push(bad(file, 'no examples (the file has no JSON lines)'));
    return { arrays, diagnostics };
  }
  const first = rows[0]!;
  const names = [...first.inputs.keys()].sort();
  for (const row of rows) {
    const own = [...row.inputs.keys()].sort();
    if (own.join('\0') !== names.join('\0'))
      diagnostics.push(
        bad(
          `${file}:${row.line}`,
          `the line has inputs [${own.join(', ')}], line ${first.line} has [${names.join(', ')}]: every line needs the same`,
        ),
      );
    if ((row.label === undefined) !== (first.label === undefined))
      diagnostics.push(
        bad(
          `${file}:${row.line}`,
          `'label' must be on every line or on none (line ${first.line} ${first.label === undefined ? 'has none' : 'has one'})`,
        ),
      );
  }
  if (diagnostics.length > 0) return { arrays, diagnostics };

  const n = rows.length;
  const width = Math.max(...rows.flatMap((r) => [...r.inputs.values()].map((v) => v.length)));
  const padded = (
    values: (k: number) => readonly number[] | undefined,
    fill: (k: number, i: number) => number,
  ) => {
    const data = new BigInt64Array(n * width);
    for (let k = 0; k < n; k++) {
      const row = values(k);
      for (let i = 0; i < width; i++)
        data[k * width + i] = BigInt(row && i < row.length ? row[i]! : fill(k, i));
    }
    return { dtype: 'int64' as const, shape: [n, width], data };
  };
  for (const name of names)
    arrays.set(
      name,
      padded(
        (k) => rows[k]!.inputs.get(name),
        () => (name === 'attention_mask' ? 0 : JSONL_PAD_ID),
      ),
    );
  if (names.includes('input_ids') && !names.includes('attention_mask'))
    arrays.set(
      'attention_mask',
      padded(
        () => undefined,
        (k, i) => (i < rows[k]!.inputs.get('input_ids')!.length ? 1 : 0),
      ),
    );
  if (first.label !== undefined)
    arrays.set('labels', {
      dtype: 'int64',
      shape: [n],
      data: BigInt64Array.from(rows, (r) => BigInt(r.label!)),
    });
  return { arrays, diagnostics };
}
