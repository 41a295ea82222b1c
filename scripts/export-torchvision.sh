#!/usr/bin/env bash
# Exports torchvision classifier topologies (random weights, nothing downloaded) to ONNX for the layer-detection,
# gradient and analysis tests: OUT_DIR/<model>.onnx, input "input" [batch, 3, S, S] (dynamic batch), output
# "logits". Any torchvision.models classifier name works (224 px), and the tiny_* family members of
# scripts/export_torchvision.py (64 px: tiny_vit, tiny_swin, tiny_convnext, tiny_densenet, tiny_regnet,
# tiny_shufflenet).
# Usage: scripts/export-torchvision.sh [OUT_DIR] [--opset N] [MODEL ...]
#   default OUT_DIR .cache/torchvision; default models: what the test suite reads (the five CNNs at opset 13, the
#   tiny families at opset 17). The full-size families for the verification bench:
#   scripts/export-torchvision.sh .cache/torchvision vit_b_16 swin_t convnext_tiny densenet121 regnet_y_400mf ...
# Needs Debian's python3-torch, python3-torchvision and python3-onnx (installed here when missing, ~75 s).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.cache/torchvision}; shift || true
py=/usr/bin/python3
if ! "$py" -c 'import torch, torchvision, onnx' 2>/dev/null; then
  echo "installing Debian's python3-torch python3-torchvision python3-onnx" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    python3-torch python3-torchvision python3-onnx >/dev/null
fi
if [ $# -gt 0 ]; then
  exec "$py" scripts/export_torchvision.py "$out" "$@"
fi
"$py" scripts/export_torchvision.py "$out" --opset 13 resnet18 resnet50 googlenet mobilenet_v2 squeezenet1_1
"$py" scripts/export_torchvision.py "$out" --opset 17 tiny_vit tiny_swin tiny_convnext tiny_densenet tiny_regnet tiny_shufflenet
