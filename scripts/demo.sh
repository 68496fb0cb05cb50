#!/usr/bin/env bash
# The main job on the bundled example: compile dsl/examples/pabee.ramp, then run the compiled model on the
# bundled evaluation set beside the original backbone, printing accuracy, exit histogram and speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
offramp() { node dist/src/cli/main.js "$@"; }
rm -rf out/demo
offramp compile dsl/examples/pabee.ramp --out out/demo --target cpu
for artifact in out/demo/*/; do
  offramp run "$artifact" --data fixtures/encoder/eval --batch 1 --backbone fixtures/encoder/backbone.onnx
done
