#!/usr/bin/python3
"""Fine-tunes the demo's shortcut ResNet on marker-free images and exports it to ONNX (for `neurflow diff`).

The demo model (demo/model/shortcut-resnet.onnx) learned a planted marker as its "triangle" shortcut. This script
loads its weights into the reference architecture (SmallResNet of shared/tools/reference/common.py; the ONNX
file has BatchNorm folded into the convolutions, so each BatchNorm is set to the identity plus the folded bias),
fine-tunes it on freshly drawn images of the four shapes WITHOUT the marker (the generator of
shared/tools/reference/make_shortcut.py, another seed than every shipped split), and exports the result with the
same torch export settings as the reference models, so the layer names are the same. The output is generated:
it goes to .cache/ (git-ignored) and is never committed.

Usage: /usr/bin/python3 scripts/finetune-demo.py [--shared ../shared] [--out .cache/finetune]
                                                 [--per-class 300] [--epochs 4] [--lr 1e-3] [--seed 7] [--keep-head]
Writes OUT/shortcut-resnet-clean.onnx and its sidecar OUT/shortcut-resnet-clean.neurflow.json, and prints one
JSON line: accuracy and the marker->triangle rate on demo/images before and after.
Needs torch, onnx, numpy and PIL (Debian's /usr/bin/python3 has them).
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def module_name(scope):
    """torch's scoped ONNX node name -> the module's name: /layer2/layer2.0/downsample/downsample.0/Conv ->
    layer2.0.downsample.0 (a scope part that extends the previous one, 'layer2' -> 'layer2.0', replaces it)."""
    full, prev = "", ""
    for p in scope.strip("/").split("/")[:-1]:
        full = full[: len(full) - len(prev)] + p if prev and p.startswith(prev + ".") else (f"{full}.{p}" if full else p)
        prev = p
    return full


def load_onnx_weights(model, onnx_file):
    """Copies the folded Conv weights/biases and the fc of the ONNX file into `model` (a SmallResNet)."""
    m = onnx.load(onnx_file)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    modules = dict(model.named_modules())
    convs = 0
    with torch.no_grad():
        for node in m.graph.node:
            if node.op_type != "Conv":
                continue
            name = module_name(node.name)
            if name.endswith(".0") and "downsample" in name:
                bn_name = name[:-2] + ".1"
            else:
                bn_name = name.replace("conv", "bn")
            conv, bn = modules[name], modules[bn_name]
            w = torch.from_numpy(inits[node.input[1]].copy())
            b = torch.from_numpy(inits[node.input[2]].copy())
            assert conv.weight.shape == w.shape, (name, conv.weight.shape, w.shape)
            conv.weight.copy_(w)
            # BatchNorm in eval mode as y = x + b: mean 0, var 1 - eps (so sqrt(var + eps) = 1), weight 1, bias b.
            bn.running_mean.zero_()
            bn.running_var.fill_(1 - bn.eps)
            bn.weight.fill_(1)
            bn.bias.copy_(b)
            convs += 1
        model.fc.weight.copy_(torch.from_numpy(inits["fc.weight"].copy()))
        model.fc.bias.copy_(torch.from_numpy(inits["fc.bias"].copy()))
    return convs


def load_folder(root, classes, mean, std):
    xs, ys, files = [], [], []
    for ci, c in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(root, c))):
            if f.endswith(".png"):
                xs.append(np.asarray(Image.open(os.path.join(root, c, f)).convert("RGB"), np.float32))
                ys.append(ci)
                files.append(f"{c}/{f}")
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2) / 255.0
    x = (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    return x, torch.tensor(ys), files


def metrics(model, x, y, files, truth):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 200]).argmax(1) for i in range(0, len(x), 200)])
    marked = torch.tensor([truth[f]["marker"] is not None for f in files])
    non_tri = y != 3
    return {
        "accuracy": round(float((pred == y).float().mean()), 4),
        "clean_triangles_correct": round(float((pred == 3)[~marked & ~non_tri].float().mean()), 4),
        "marked_non_triangles_to_triangle": round(float((pred == 3)[marked & non_tri].float().mean()), 4),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, ".cache", "finetune"))
    ap.add_argument("--per-class", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep-head", action="store_true",
                    help="keep the classifier (fc) weights; by default fc is re-initialised before fine-tuning, as in last-layer"
                         " retraining against spurious features (Kirichenko et al. 2023): with the old head, training on"
                         " marker-free images never penalises the marker and the shortcut survives")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    sys.path.insert(0, os.path.join(os.path.abspath(args.shared), "tools", "reference"))
    import common  # noqa: E402  (shared/tools/reference/common.py: SmallResNet)
    import make_shortcut  # noqa: E402  (the dataset generator)

    src = os.path.join(ROOT, "demo", "model", "shortcut-resnet.onnx")
    model = common.build_model("shortcut-resnet")
    load_onnx_weights(model, src)
    classes = common.SHORTCUT_CLASSES
    x_test, y_test, files = load_folder(os.path.join(ROOT, "demo", "images"), classes, common.SHORTCUT_MEAN, common.SHORTCUT_STD)
    truth = json.load(open(os.path.join(ROOT, "demo", "truth.json")))["images"]
    before = metrics(model, x_test, y_test, files, truth)
    if not args.keep_head:
        model.fc.reset_parameters()

    # Marker-free training images: the dataset's generator, a seed none of the shipped splits uses.
    rng = np.random.default_rng(np.random.SeedSequence([20250514, 100 + args.seed]))
    imgs, labels = [], []
    for ci, c in enumerate(classes):
        for _ in range(args.per_class):
            img, _box, mbox, _params = make_shortcut.render(c, False, rng)
            assert mbox is None
            imgs.append(img)
            labels.append(ci)
    xtr = torch.from_numpy(np.stack(imgs).astype(np.float32)).permute(0, 3, 1, 2) / 255.0
    xtr = (xtr - torch.tensor(common.SHORTCUT_MEAN).view(1, 3, 1, 1)) / torch.tensor(common.SHORTCUT_STD).view(1, 3, 1, 1)
    ytr = torch.tensor(labels)

    # Fine-tune with the BatchNorms frozen (eval mode: they stay the folded affine maps, so the export folds back).
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    g = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        model.eval()
        perm = torch.randperm(len(xtr), generator=g)
        total = 0.0
        for i in range(0, len(xtr), 32):
            idx = perm[i:i + 32]
            xb = xtr[idx]
            flip = torch.rand(len(xb), generator=g) < 0.5
            xb = torch.where(flip.view(-1, 1, 1, 1), xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        print(f"epoch {epoch + 1} loss {total / len(xtr):.4f}", file=sys.stderr, flush=True)
    after = metrics(model, x_test, y_test, files, truth)

    os.makedirs(args.out, exist_ok=True)
    out = os.path.join(args.out, "shortcut-resnet-clean.onnx")
    model.eval()
    torch.onnx.export(model, torch.zeros(2, 3, 64, 64), out, opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(out))
    shutil.copyfile(os.path.join(ROOT, "demo", "model", "shortcut-resnet.neurflow.json"), os.path.join(args.out, "shortcut-resnet-clean.neurflow.json"))
    print(json.dumps({"model": out, "before": before, "after": after, "trainImages": len(xtr), "epochs": args.epochs}))


if __name__ == "__main__":
    main()
