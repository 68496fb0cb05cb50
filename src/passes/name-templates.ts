/**
 * The name templates a `.ramp` file and the compiler use for per-layer things: weight keys (`exit.{i}.`) and
 * decoder state inputs/outputs (`past_*.{i}`). `{i}` is the 0-based module index.
 */

/** Resolves `{i}` (0-based module index) in a key template. */
export const keyFor = (template: string, moduleIndex: number) =>
  template.replaceAll('{i}', String(moduleIndex));

/**
 * A recurrent state's name from its pattern: `{i}` is the 0-based layer, `*` the state's kind (`conv`, `ssm`);
 * a pattern without `*` is a prefix the kind follows (`past_key_values.{i}.` + `key`).
 */
export function stateName(pattern: string, layer: number, kind: string): string {
  const withKind = pattern.includes('*') ? pattern : `${pattern}*`;
  return keyFor(withKind, layer).replace('*', kind);
}

/** The kind a state name has under `pattern` for `layer`, or undefined when it does not match. */
export function stateKind(pattern: string, layer: number, name: string): string | undefined {
  const [before, after] = stateName(pattern, layer, '\u0000').split('\u0000') as [string, string];
  if (!name.startsWith(before) || !name.endsWith(after) || name.length <= before.length + after.length)
    return undefined;
  return name.slice(before.length, name.length - after.length);
}
