#!/usr/bin/env bash
# Rebuilds demo/ (the bundled demo of `neurflow demo` and "NeurFlow: Open Demo") from the team's reference data:
# the shortcut ResNet, its preprocessing sidecar, the 400 images of the shortcut test split and their ground truth.
# Usage: bash scripts/make-demo.sh [SHARED_DIR]   (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=$(realpath "${1:-../shared}")
rm -rf demo/model demo/images demo/truth.json
mkdir -p demo/model
cp "$SHARED/reference/models/shortcut-resnet.onnx" demo/model/
cp "$SHARED/reference/models/shortcut-resnet.neurflow.json" demo/model/
cp -r "$SHARED/datasets/shortcut/test" demo/images
# Ground truth of the test split only (marker boxes, shape boxes), keyed by the path under demo/images.
/usr/bin/env python3 - "$SHARED/datasets/shortcut/truth.json" demo/truth.json <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))
images = {k[len('test/'):]: v for k, v in truth['images'].items() if k.startswith('test/')}
json.dump({'source': 'shared/datasets/shortcut/truth.json (test split)', 'images': images}, open(sys.argv[2], 'w'), indent=0)
PY
du -sh --apparent-size demo
