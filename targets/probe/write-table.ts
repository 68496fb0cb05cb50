/** Replaces the `operators` table of `targets/<name>.json`, keeping the hand-written rest of the profile. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type OperatorTable, PROFILES_DIR, validateProfile } from '../../src/targets/index.js';

/** JSON with one kernel registration per line, so that table diffs read op by op. */
export function formatProfile(profile: Record<string, unknown>): string {
  const { operators, ...rest } = profile as { operators: OperatorTable };
  const head = JSON.stringify(rest, null, 2).replace(/\n}$/, '');
  const kernels = operators.kernels.map((k) => `      ${JSON.stringify(k)}`).join(',\n');
  return `${head},\n  "operators": {\n    "source": ${JSON.stringify(operators.source)},\n    "kernels": [\n${kernels}\n    ]\n  }\n}\n`;
}

export async function writeOperatorTable(name: string, table: OperatorTable): Promise<void> {
  const file = join(PROFILES_DIR, `${name}.json`);
  const profile = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  profile.operators = table;
  const problems = validateProfile(profile);
  if (problems.length > 0) throw new Error(`${file}: ${problems.join('; ')}`);
  await writeFile(`${file}.tmp`, formatProfile(profile));
  await rename(`${file}.tmp`, file);
  console.log(`wrote ${file}: ${table.kernels.length} kernel entries`);
}
