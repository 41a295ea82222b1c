#!/usr/bin/env bash
# Exports torchvision classifier topologies (random weights, nothing downloaded) to ONNX, for the layer-detection
# tests: .cache/torchvision/<model>.onnx (opset 13, input "input" 1x3x224x224 with a dynamic batch axis, output
# "logits"). Tests that use them skip when they are absent.
# Usage: scripts/export-torchvision.sh [OUT_DIR] [MODEL ...]
#   default OUT_DIR .cache/torchvision; default models resnet18 resnet50 googlenet mobilenet_v2 squeezenet1_1
# Needs Debian's python3-torch, python3-torchvision and python3-onnx (installed here when missing, ~75 s).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.cache/torchvision}; shift || true
py=/usr/bin/python3
if ! "$py" -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "installing Debian's python3-torch python3-torchvision python3-onnx" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    python3-torch python3-torchvision python3-onnx >/dev/null
fi
mkdir -p "$out"
"$py" - "$out" "$@" <<'PY'
import os, sys
import torch, torchvision

out, names = sys.argv[1], sys.argv[2:] or ["resnet18", "resnet50", "googlenet", "mobilenet_v2", "squeezenet1_1"]
torch.manual_seed(0)
for name in names:
    extra = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    net = getattr(torchvision.models, name)(weights=None, **extra).eval()
    path = os.path.join(out, name + ".onnx")
    torch.onnx.export(net, torch.randn(1, 3, 224, 224), path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print(f"{path}: {os.path.getsize(path) / 2**20:.1f} MiB")
PY
