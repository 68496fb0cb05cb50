/**
 * The op-support check: which nodes a target's execution provider would not place on its device.
 * It mirrors ORT's kernel lookup (onnxruntime/core/framework/kernel_registry.cc, VerifyKernelDef):
 * a registration [start, end] matches a node whose schema since-version lies in it, but an open one
 * ("N+") matches only since-version N; then every constrained type parameter must be registered.
 */
import { type Diagnostic, diagnostic, type Severity } from '../diagnostics/index.js';
import type { ElementType } from './element-types.js';
import { normalizeDomain, ONNX_DOMAIN, operatorVersions, sinceVersion } from './onnx-versions.js';
import { describePort, typeParameters } from './op-signatures.js';
import { type KernelRegistration, parseVersionRange, type TargetProfile } from './profile.js';

/** A node as the check sees it: independent of any IR, so any graph representation can supply it. */
export interface OpNode {
  readonly name: string;
  readonly op: string;
  /** '' or 'ai.onnx' for the default domain. */
  readonly domain: string;
  /** Element type per input position; undefined for an absent optional input or an unknown type. */
  readonly inputTypes: readonly (ElementType | undefined)[];
  readonly outputTypes: readonly (ElementType | undefined)[];
  /** True for nodes inside an If/Loop/Scan body; they are placed like top-level nodes. */
  readonly inSubgraph: boolean;
}

export interface CheckOptions {
  /** The model's ai.onnx opset; defaults to the profile's. */
  readonly opset?: number;
  /** Opsets of other domains; `com.microsoft` defaults to 1. */
  readonly domainOpsets?: Readonly<Record<string, number>>;
  /** The model file, for diagnostics' graph locations. */
  readonly file?: string;
}

/** Why a node would leave the device; undefined when it stays. */
export type Placement =
  | { readonly onDevice: true; readonly version: number }
  | {
      readonly onDevice: false;
      readonly reason: 'unknown-op' | 'not-yet-defined' | 'no-kernel' | 'version' | 'element-type';
      readonly version?: number;
      readonly detail?: {
        readonly param: string;
        readonly port: string;
        readonly type: ElementType;
        readonly allowed: readonly ElementType[];
      };
    };

function registrationMatches(versions: readonly string[], since: number): boolean {
  return versions.some((text) => {
    const range = parseVersionRange(text);
    if (!range) return false;
    if (range.end === undefined) return range.start === since; // "N+" means exactly N
    return range.start <= since && since <= range.end;
  });
}

function kernelsFor(profile: TargetProfile, op: string, domain: string): KernelRegistration[] {
  return profile.operators.kernels.filter((k) => k.op === op && normalizeDomain(k.domain) === domain);
}

function typeAt(node: OpNode, port: { input: number } | { output: number }): ElementType | undefined {
  return 'input' in port ? node.inputTypes[port.input] : node.outputTypes[port.output];
}

/** Decides where one node would run on the profile's execution provider. */
export function placeNode(node: OpNode, profile: TargetProfile, options: CheckOptions = {}): Placement {
  const domain = normalizeDomain(node.domain);
  const opset =
    domain === ONNX_DOMAIN ? (options.opset ?? profile.opset) : (options.domainOpsets?.[domain] ?? 1);
  if (!operatorVersions(node.op, domain)) return { onDevice: false, reason: 'unknown-op' };
  const version = sinceVersion(node.op, domain, opset);
  if (version === undefined) return { onDevice: false, reason: 'not-yet-defined' };

  const kernels = kernelsFor(profile, node.op, domain);
  if (kernels.length === 0) return { onDevice: false, reason: 'no-kernel', version };
  const kernel = kernels.find((k) => registrationMatches(k.versions, version));
  if (!kernel) return { onDevice: false, reason: 'version', version };

  const ports = typeParameters(node.op);
  for (const [param, allowed] of Object.entries(kernel.types)) {
    const port = ports[param];
    if (!port) continue;
    const type = typeAt(node, port);
    if (type !== undefined && !allowed.includes(type)) {
      return {
        onDevice: false,
        reason: 'element-type',
        version,
        detail: { param, port: describePort(port), type, allowed },
      };
    }
  }
  return { onDevice: true, version };
}

/**
 * Names every node that the profile's execution provider would not run, and why. Nodes inside
 * subgraphs are checked too: ORT places them one by one, so a CPU-only body node costs a copy per run.
 */
export function checkOpSupport(
  nodes: readonly OpNode[],
  profile: TargetProfile,
  options: CheckOptions = {},
): Diagnostic[] {
  const severity: Severity = profile.fallbackSeverity;
  const target = `${profile.name} (${profile.executionProvider.ortName})`;
  const opset = options.opset ?? profile.opset;
  const diagnostics: Diagnostic[] = [];
  for (const node of nodes) {
    const placement = placeNode(node, profile, options);
    if (placement.onDevice) continue;
    const domain = normalizeDomain(node.domain);
    const report = {
      severity,
      ...(options.file !== undefined ? { graph: { file: options.file, node: node.name } } : {}),
    };
    const where = node.inSubgraph ? ' (inside a subgraph)' : '';
    const nodeName = `${node.name}${where}`;
    switch (placement.reason) {
      case 'unknown-op':
        diagnostics.push(diagnostic('OR6004', { node: nodeName, op: node.op, domain, target }, report));
        break;
      case 'not-yet-defined':
        diagnostics.push(
          diagnostic(
            'OR6005',
            { node: nodeName, op: node.op, domain, opset, first: operatorVersions(node.op, domain)![0]! },
            report,
          ),
        );
        break;
      case 'no-kernel':
        diagnostics.push(
          diagnostic(
            'OR6001',
            { node: nodeName, op: node.op, target, reason: controlFlowReason(node.op, profile) },
            report,
          ),
        );
        break;
      case 'version':
        diagnostics.push(
          diagnostic(
            'OR6002',
            {
              node: nodeName,
              op: node.op,
              opset,
              version: placement.version!,
              target,
              registered: kernelsFor(profile, node.op, domain)
                .flatMap((k) => k.versions)
                .join(', '),
            },
            report,
          ),
        );
        break;
      case 'element-type': {
        const d = placement.detail!;
        diagnostics.push(
          diagnostic(
            'OR6003',
            {
              node: nodeName,
              op: node.op,
              port: d.port,
              type: d.type,
              target,
              param: d.param,
              allowed: d.allowed.join(', '),
            },
            report,
          ),
        );
        break;
      }
    }
  }
  return diagnostics;
}

function controlFlowReason(op: string, profile: TargetProfile): string {
  if (
    (op === 'Loop' && !profile.controlFlow.loopOnDevice) ||
    (op === 'Scan' && !profile.controlFlow.scanOnDevice)
  ) {
    return ' (this target runs no Loop/Scan on the device); unroll the loop or split the model around it';
  }
  return '';
}
