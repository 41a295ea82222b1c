#!/usr/bin/env python3
"""Export torchvision classifier topologies to ONNX with random weights (nothing is downloaded).

Two kinds of model:
- full-size torchvision models by their torchvision name (resnet50, vit_b_16, swin_t, ...), 224 px;
- tiny members of each family (name prefix ``tiny_``), built from torchvision's own classes with small widths
  and depths at 64 px, so that the test suite can run every family in seconds.

Usage: export_torchvision.py OUT_DIR [--opset N] NAME [NAME ...]
Writes OUT_DIR/<name>.onnx: input "input" [batch, 3, S, S] with a dynamic batch axis, output "logits".
Run by scripts/export-torchvision.sh, which installs Debian's python3-torch/torchvision/onnx when missing.
"""
import argparse
import os

import torch
import torchvision
from torchvision import models
from torchvision.models import convnext, densenet, regnet, shufflenetv2, swin_transformer, vision_transformer


def tiny(name: str) -> torch.nn.Module:
    """Small members of each family: the same module classes (and so the same exported node names)."""
    if name == "tiny_vit":
        return vision_transformer.VisionTransformer(image_size=64, patch_size=16, num_layers=3, num_heads=2,
                                                    hidden_dim=32, mlp_dim=64, num_classes=10)
    if name == "tiny_swin":
        return swin_transformer.SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2, 2], num_heads=[2, 2, 2],
                                                window_size=[4, 4], stochastic_depth_prob=0.0, num_classes=10)
    if name == "tiny_convnext":
        c = convnext.CNBlockConfig
        return convnext.ConvNeXt([c(16, 32, 2), c(32, 64, 2), c(64, None, 2)], stochastic_depth_prob=0.0, num_classes=10)
    if name == "tiny_densenet":
        return densenet.DenseNet(growth_rate=8, block_config=(2, 2, 2), num_init_features=16, num_classes=10)
    if name == "tiny_regnet":
        params = regnet.BlockParams.from_init_params(depth=6, w_0=16, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25)
        return regnet.RegNet(params, num_classes=10)
    if name == "tiny_shufflenet":
        return shufflenetv2.ShuffleNetV2([2, 2, 2], [8, 16, 32, 64, 128], num_classes=10)
    raise SystemExit(f"unknown tiny model {name}")


def build(name: str) -> tuple[torch.nn.Module, int]:
    if name.startswith("tiny_"):
        return tiny(name), 64
    kwargs = {"weights": None}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    if name.startswith("inception"):
        kwargs.update(aux_logits=False, init_weights=True)
        return getattr(models, name)(**kwargs), 299
    return getattr(models, name)(**kwargs), 224


def make(name: str) -> tuple[torch.nn.Module, int]:
    """The model exactly as exported (seeded, eval mode): what bench/grad-verify-torchvision.py rebuilds."""
    torch.manual_seed(0)
    model, size = build(name)
    model.eval()
    if hasattr(model, "heads") and hasattr(model.heads, "head"):
        # torchvision's ViT starts its head at zero (logits 0, no gradient): random weights make the
        # untrained topology analysable.
        torch.nn.init.normal_(model.heads.head.weight, std=0.02)
    return model, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("names", nargs="+")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.names:
        model, size = make(name)
        path = os.path.join(args.out, f"{name}.onnx")
        # Not under no_grad: nn.MultiheadAttention's inference fast path (_native_multi_head_attention) has no
        # ONNX export; with gradients enabled ViT takes the plain path.
        torch.onnx.export(model, torch.randn(1, 3, size, size), path, opset_version=args.opset,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        print(f"{path}: {os.path.getsize(path) / 2**20:.1f} MiB (torch {torch.__version__}, torchvision {torchvision.__version__}, opset {args.opset})")


if __name__ == "__main__":
    main()
