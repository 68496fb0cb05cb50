import type { Classifier, HeadDecl, StringLiteral, WeightComponent, WeightsDecl } from './ast.js';

/** The weight part of a classifier; `lm_head` reuses the backbone's own projection and has none. */
export function classifierComponent(c: Classifier): WeightComponent | undefined {
  switch (c.kind) {
    case 'LinearHead':
      return 'linear';
    case 'MlpHead':
      return 'mlp';
    case 'MambaHead':
      return 'mamba';
    case 'LmHead':
      return undefined;
  }
}

/** The weight parts a head reads, in order: `pooler + linear` → pooler, linear; `layernorm + lm_head` → layernorm. */
export function headComponents(head: HeadDecl): WeightComponent[] {
  const classifier = classifierComponent(head.classifier);
  return [
    ...(head.pooler ? (['pooler'] as const) : []),
    ...(head.norm ? [head.norm.norm] : []),
    ...(classifier ? [classifier] : []),
  ];
}

/**
 * The key template of each part. The short form `key "..."` names the last part with weights (the
 * classifier's, or the norm's before `lm_head`), so `head linear` + `key "classifier.{i}."` needs nothing more.
 */
export function weightKeys(weights: WeightsDecl, head: HeadDecl): Map<WeightComponent, StringLiteral> {
  const main = headComponents(head).at(-1);
  const keys = new Map<WeightComponent, StringLiteral>();
  for (const k of weights.keys) {
    const component = k.component ?? main;
    if (component && !keys.has(component)) keys.set(component, k.template);
  }
  return keys;
}
