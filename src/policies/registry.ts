import { jei } from './kinds/jei.js';
import { pondernet, qexit } from './kinds/lambda.js';
import { learned } from './kinds/learned.js';
import { mamba } from './kinds/mamba.js';
import { pabee } from './kinds/pabee.js';
import { entropy, margin, maxprob } from './kinds/thresholds.js';
import type { PolicyKind, PolicySpec } from './spec.js';

export { entropy, jei, learned, mamba, margin, maxprob, pabee, pondernet, qexit };

export const policySpecs: Readonly<Record<PolicyKind, PolicySpec>> = {
  pabee,
  qexit,
  pondernet,
  jei,
  maxprob,
  entropy,
  margin,
  mamba,
  learned,
};

export const policyKinds = Object.keys(policySpecs) as PolicyKind[];
