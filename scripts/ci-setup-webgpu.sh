#!/usr/bin/env bash
# Installs what the WebGPU target tests need on a CPU-only Debian 12 machine, and prints the path of the
# software Vulkan driver (SwiftShader) that onnxruntime-node's WebGPU EP must be pointed at.
#
#   chromium    headless browser for onnxruntime-web's WebGPU test (/usr/bin/chromium). Its dependency
#               chromium-common ships SwiftShader's Vulkan ICD: /usr/lib/chromium/vk_swiftshader_icd.json
#   libvulkan1  the system Vulkan loader, which onnxruntime-node's Dawn opens (libvulkan.so.1)
#
# Idempotent: installs only what is missing. Messages go to stderr; stdout is just the ICD path, so
#   VK_ICD_FILENAMES="$(bash scripts/ci-setup-webgpu.sh)"
# works. The tests find the ICD on their own (test/support/webgpu/vulkan.ts); they need no variable.
# See /work/shared/research/webgpu-probe.md for why SwiftShader (bookworm's Mesa lavapipe is too old).
set -euo pipefail

readonly PACKAGES=(chromium libvulkan1)
readonly ICD=/usr/lib/chromium/vk_swiftshader_icd.json

log() { echo "ci-setup-webgpu: $*" >&2; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { log "need root (or sudo) to install: ${missing[*]}"; exit 1; }
    as_root=(sudo)
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq >&2
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # The downloaded .debs are not needed once installed.
  "${as_root[@]}" apt-get clean >&2
else
  log "already installed: ${PACKAGES[*]}"
fi

for file in /usr/bin/chromium "$ICD" "$(dirname "$ICD")/libvk_swiftshader.so"; do
  [[ -e $file ]] || { log "expected $file after installing ${PACKAGES[*]}, but it is missing"; exit 1; }
done
# grep -q would exit early and SIGPIPE ldconfig, failing the pipeline under pipefail; read it all.
ldconfig -p | grep 'libvulkan\.so\.1 ' >/dev/null || { log "libvulkan.so.1 is not on the loader path"; exit 1; }

log "SwiftShader Vulkan ICD: $ICD"
echo "$ICD"
