/**
 * The probe engine: builds one-node models per (operator, since-version, element type), asks a
 * placement oracle whether the execution provider takes the node (session creation with CPU fallback
 * disabled), and turns the answers into a profile's operator table.
 */
import { type ElementType, ONNX_DOMAIN, operatorVersions, sinceVersion } from '../../src/targets/index.js';
import type { KernelRegistration } from '../../src/targets/index.js';
import { type AttributeValue, buildModel } from '../../test/support/webgpu/onnx-builder.js';
import { RECIPES, type Recipe } from './recipes.js';

/** ORT 1.30 loads ai.onnx opsets 7 to 26. */
export const ORT_MIN_OPSET = 7;
export const ORT_MAX_OPSET = 26;
/** Contrib ops are probed inside a model at this ai.onnx opset. */
const CONTRIB_HOST_OPSET = 17;

export interface ProbeCase {
  readonly op: string;
  readonly domain: string;
  readonly version: number;
  readonly opset: number;
  readonly types: Readonly<Record<string, ElementType>>;
  /** The parameter this case varies. */
  readonly varied: string;
  readonly model: Uint8Array;
}

/** Answers, for a batch of models, whether a session can be created (true) or not (false). */
export type PlacementOracle = (models: readonly Uint8Array[]) => Promise<boolean[]>;

/** The smallest ORT-loadable opset at which `op` resolves to `version`. */
function opsetFor(op: string, version: number): number | undefined {
  for (let opset = Math.max(version, ORT_MIN_OPSET); opset <= ORT_MAX_OPSET; opset++) {
    const resolved = sinceVersion(op, ONNX_DOMAIN, opset);
    if (resolved === version) return opset;
    if (resolved !== undefined && resolved > version) return undefined;
  }
  return undefined;
}

function definedAttributes(
  attributes: Readonly<Record<string, AttributeValue | undefined>>,
): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(attributes).filter(([, a]) => a !== undefined)) as Record<string, AttributeValue>;
}

function casesFor(recipe: Recipe): ProbeCase[] {
  const domain = recipe.domain ?? ONNX_DOMAIN;
  const defaults = Object.fromEntries(Object.entries(recipe.params).map(([p, list]) => [p, list[0]!]));
  const cases: ProbeCase[] = [];
  for (const version of operatorVersions(recipe.op, domain) ?? []) {
    const opset = domain === ONNX_DOMAIN ? opsetFor(recipe.op, version) : CONTRIB_HOST_OPSET;
    if (opset === undefined) continue;
    for (const [param, candidates] of Object.entries(recipe.params)) {
      for (const type of candidates) {
        const types = { ...defaults, [param]: type };
        const node = recipe.build(types, version);
        const model = buildModel({
          opset,
          ...(domain === ONNX_DOMAIN ? {} : { extraOpsets: { [domain]: version } }),
          graph: {
            name: `probe_${recipe.op}`,
            inputs: node.inputs,
            outputs: node.outputs,
            nodes: [
              {
                op: recipe.op,
                domain: domain === ONNX_DOMAIN ? '' : domain,
                name: recipe.op,
                inputs: node.nodeInputs ?? node.inputs.map((i) => i.name),
                outputs: node.outputs.map((o) => o.name),
                attributes: definedAttributes(node.attributes ?? {}),
              },
            ],
          },
        });
        cases.push({ op: recipe.op, domain, version, opset, types, varied: param, model });
      }
    }
  }
  return cases;
}

export function allProbeCases(): ProbeCase[] {
  return RECIPES.flatMap(casesFor);
}

/**
 * Runs every case through `reference` (the CPU EP: a case it rejects is not a valid probe) and
 * `device`, and builds kernel registrations from what the device accepted.
 */
export async function probeOperatorTable(
  device: PlacementOracle,
  reference: PlacementOracle,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<{ kernels: KernelRegistration[]; rejectedByReference: string[] }> {
  const cases = allProbeCases();
  const accepted: boolean[] = [];
  const valid: boolean[] = [];
  const batch = 64;
  for (let i = 0; i < cases.length; i += batch) {
    const models = cases.slice(i, i + batch).map((c) => c.model);
    const ref = await reference(models);
    const dev = await device(models);
    valid.push(...ref);
    accepted.push(...dev.map((ok, j) => ok && ref[j]!));
    onProgress(Math.min(i + batch, cases.length), cases.length);
  }

  // op → version → param → accepted types
  const table = new Map<string, Map<number, Map<string, ElementType[]>>>();
  const rejectedByReference: string[] = [];
  cases.forEach((c, i) => {
    const key = `${c.domain}::${c.op}`;
    if (!valid[i]) rejectedByReference.push(`${key}-${c.version} ${c.varied}=${c.types[c.varied]}`);
    if (!accepted[i]) return;
    const versions = table.get(key) ?? new Map<number, Map<string, ElementType[]>>();
    table.set(key, versions);
    const params = versions.get(c.version) ?? new Map<string, ElementType[]>();
    versions.set(c.version, params);
    const list = params.get(c.varied) ?? [];
    const type = c.types[c.varied]!;
    if (!list.includes(type)) list.push(type);
    params.set(c.varied, list);
  });

  const kernels: KernelRegistration[] = [];
  for (const [key, versions] of [...table].sort(([a], [b]) => a.localeCompare(b))) {
    const [domain, op] = key.split('::') as [string, string];
    // Versions with identical type sets share one entry, as ORT's own tables group them.
    const groups = new Map<string, { versions: number[]; types: Record<string, ElementType[]> }>();
    for (const [version, params] of [...versions].sort(([a], [b]) => a - b)) {
      const types = Object.fromEntries([...params].map(([p, list]) => [p, [...list].sort()]));
      const signature = JSON.stringify(types);
      const group = groups.get(signature) ?? { versions: [], types };
      group.versions.push(version);
      groups.set(signature, group);
    }
    for (const group of groups.values()) {
      kernels.push({ op, domain, versions: group.versions.map(String), types: group.types });
    }
  }
  return { kernels, rejectedByReference };
}
