/**
 * onnxruntime-node sessions on its bundled WebGPU EP with CPU fallback disabled: creating a session
 * fails unless every node is placed on WebGPU, so a passing test proves placement, not just results.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { useSwiftShaderVulkan } from './vulkan.js';

export type Feeds = Record<string, ort.Tensor>;

export interface NodeSessionOptions {
  /** Default true: refuse to create the session if any node would run on the CPU EP. */
  readonly strict?: boolean;
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

let vulkanReady = false;

/** Creates a session on `webgpu` alone (SwiftShader Vulkan), with CPU fallback disabled unless `strict: false`. */
export async function createWebGpuSession(
  model: Uint8Array | string,
  options: NodeSessionOptions = {},
): Promise<ort.InferenceSession> {
  if (!vulkanReady) {
    useSwiftShaderVulkan();
    vulkanReady = true;
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['webgpu'],
    logSeverityLevel: options.logSeverityLevel ?? 3,
    extra: { session: { disable_cpu_ep_fallback: options.strict === false ? '0' : '1' } },
  };
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, sessionOptions)
    : ort.InferenceSession.create(model, sessionOptions);
}

export async function createCpuSession(model: Uint8Array | string): Promise<ort.InferenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    logSeverityLevel: 3,
  };
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, sessionOptions)
    : ort.InferenceSession.create(model, sessionOptions);
}

/** Runs once and releases the session. */
export async function runOnce(
  session: ort.InferenceSession,
  feeds: Feeds,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * The nodes onnxruntime ran outside its WebGPU EP, as `op name` strings, read from the profiles a session
 * wrote under `prefix` (`LoadOptions.profilePrefix`; written when the session is released). Each node run
 * is one event naming its provider; nodes of If branches that did not run are not in it.
 */
export function nodesOffWebGpu(prefix: string): { readonly ran: number; readonly off: string[] } {
  const dir = dirname(prefix);
  const files = readdirSync(dir).filter((f) => join(dir, f).startsWith(prefix) && f.endsWith('.json'));
  if (files.length === 0) throw new Error(`no onnxruntime profile under ${prefix}`);
  let ran = 0;
  const off = new Set<string>();
  for (const file of files) {
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      cat?: string;
      name?: string;
      args?: { provider?: string; op_name?: string };
    }[];
    for (const e of events) {
      if (e.cat !== 'Node' || !e.args?.provider) continue;
      ran++;
      if (e.args.provider !== 'WebGpuExecutionProvider') off.add(`${e.args.op_name} ${e.name}`);
    }
  }
  return { ran, off: [...off].sort() };
}
