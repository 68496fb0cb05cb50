import type { Classifier, HeadDecl, StringLiteral, WeightComponent, WeightsDecl } from './ast.js';

export function classifierComponent(c: Classifier): WeightComponent {
  return c.kind === 'LinearHead' ? 'linear' : c.kind === 'MlpHead' ? 'mlp' : 'mamba';
}

/** The weight parts a head reads, in order: `pooler + linear` → pooler, linear. */
export function headComponents(head: HeadDecl): WeightComponent[] {
  return [...(head.pooler ? (['pooler'] as const) : []), classifierComponent(head.classifier)];
}

/**
 * The key template of each part. The short form `key "..."` names the classifier's part (the last one),
 * so `head linear` + `key "classifier.{i}."` needs nothing more.
 */
export function weightKeys(
  weights: WeightsDecl,
  mainComponent: WeightComponent,
): Map<WeightComponent, StringLiteral> {
  const keys = new Map<WeightComponent, StringLiteral>();
  for (const k of weights.keys) {
    const component = k.component ?? mainComponent;
    if (!keys.has(component)) keys.set(component, k.template);
  }
  return keys;
}
