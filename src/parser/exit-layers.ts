import type { ExitSelection } from './ast.js';

/**
 * The sorted, unique 1-based layers a selection names, or undefined when that needs the layer count and
 * it is not known. Assumes the selection passed the checks (positive integers, non-empty ranges).
 */
export function resolveExitLayers(
  selection: ExitSelection,
  layerCount?: number,
): readonly number[] | undefined {
  switch (selection.kind) {
    case 'ExitList':
      return [...new Set(selection.layers.map((l) => l.value))].sort((a, b) => a - b);
    case 'ExitRange': {
      const out: number[] = [];
      for (let l = selection.from.value; l <= selection.to.value && out.length < 1_000_000; l++) out.push(l);
      return out;
    }
    case 'ExitEvery': {
      if (layerCount === undefined) return undefined;
      const out: number[] = [];
      for (let l = selection.step.value; l <= layerCount; l += selection.step.value) out.push(l);
      return out;
    }
    case 'ExitAll':
      return layerCount === undefined ? undefined : Array.from({ length: layerCount }, (_, k) => k + 1);
  }
}
