/**
 * Locating the software Vulkan driver that lets onnxruntime-node's WebGPU EP (Dawn → Vulkan) run on a
 * machine without a GPU. See /work/shared/research/webgpu-probe.md: SwiftShader's ICD from Debian's
 * `chromium-common` works; bookworm's Mesa lavapipe is rejected by Dawn.
 */
import { existsSync } from 'node:fs';

export const SETUP_HINT =
  'run `bash scripts/ci-setup-webgpu.sh` (as root) to install Chromium and the Vulkan loader';

/** Where `scripts/ci-setup-webgpu.sh` leaves SwiftShader's ICD manifest. */
export const DEFAULT_SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const VULKAN_LOADER_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
];

/** The ICD manifest to use: `OFFRAMP_VK_ICD` when set, else the Chromium one. Throws with the fix when absent. */
export function locateSwiftShaderIcd(): string {
  const icd = process.env.OFFRAMP_VK_ICD ?? DEFAULT_SWIFTSHADER_ICD;
  if (!existsSync(icd)) {
    throw new Error(`SwiftShader's Vulkan ICD is missing (${icd}): ${SETUP_HINT}`);
  }
  if (!VULKAN_LOADER_PATHS.some((p) => existsSync(p))) {
    throw new Error(`the Vulkan loader libvulkan.so.1 is missing: ${SETUP_HINT}`);
  }
  return icd;
}

/**
 * Points the Vulkan loader at SwiftShader. Must run before the first WebGPU session in this process:
 * Dawn reads the variables once, when it creates its instance.
 */
export function useSwiftShaderVulkan(): string {
  const icd = locateSwiftShaderIcd();
  process.env.VK_ICD_FILENAMES = icd;
  process.env.VK_DRIVER_FILES = icd;
  return icd;
}
