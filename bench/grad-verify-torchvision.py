"""PyTorch check of bench/grad-verify-torchvision.ts: rebuilds each torchvision model exactly as
scripts/export-torchvision.sh does (scripts/export_torchvision.py's build(), torch.manual_seed(0) per model),
checks its weights equal the ONNX initializers, cuts it at the same place, and computes in float64 the plain
gradient and Gauss-Legendre IG of F_j (spatial mean of upper channel j) on the lower activation our engine
wrote. Prints the relative error (max |ours - torch| / max |torch|) per pair.

Two ways to cut: entries with "modules" name torch module paths; the model runs on the bench's image with a
forward hook that replaces the lower module's output by the activation under test (batch of IG steps) and a
hook that captures the upper module's output (the check first verifies that the lower module's float32 output
on the image equals our lower activation, so a wrong module-to-tensor match cannot pass). Other entries use
the per-family module sequences below (ResNet, MobileNetV2, SqueezeNet, GoogLeNet analysis layers).

    /usr/bin/python3 bench/grad-verify-torchvision.py DIR [DIR ...]    (each DIR holds a manifest.json)
"""
import json
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from export_torchvision import make  # noqa: E402  (the export's own constructors)


def build_model(name):
    net, _size = make(name)
    return net


def check_weights(name, net):
    """Every ONNX initializer with 4 or 2 dims (conv / linear weights, BN folded into conv by the exporter)
    must match some torch parameter up to BN folding; we compare the multiset of plain conv/linear shapes and
    the values of the linear weight, which the exporter keeps unfolded."""
    model = onnx.load(os.path.join(ROOT, ".cache", "torchvision", name + ".onnx"))
    net = net.float()
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    params = dict(net.named_parameters())
    same = [k for k, v in params.items() if k in inits and inits[k].shape == tuple(v.shape) and np.allclose(inits[k], v.detach().numpy())]
    named = [k for k in params if k in inits]
    if not named or len(same) != len(named):
        raise SystemExit(f"{name}: torch weights differ from the ONNX export ({len(same)}/{len(named)} named initializers equal)")
    return len(same)


def sequence(name, net):
    """(layer name, module) in execution order; a layer name is the module path detectLayers reports."""
    flat = torch.nn.Flatten(1)
    if name.startswith("resnet"):
        seq = [("conv1", net.conv1), ("bn1", net.bn1), ("relu", net.relu), ("maxpool", net.maxpool)]
        for l in ["layer1", "layer2", "layer3", "layer4"]:
            seq += [(f"{l}.{i}", m) for i, m in enumerate(getattr(net, l))]
        return seq + [("avgpool", net.avgpool), ("flatten", flat), ("fc", net.fc)]
    if name == "mobilenet_v2":
        seq = [(f"features.{i}", m) for i, m in enumerate(net.features)]
        return seq + [("pool", torch.nn.AdaptiveAvgPool2d(1)), ("flatten", flat), ("classifier.0", net.classifier[0]), ("classifier.1", net.classifier[1])]
    if name == "squeezenet1_1":
        seq = [(f"features.{i}", m) for i, m in enumerate(net.features)]
        return seq + [(f"classifier.{i}", m) for i, m in enumerate(net.classifier)] + [("logits", flat)]
    if name == "googlenet":
        keys = ["conv1", "maxpool1", "conv2", "conv3", "maxpool2", "inception3a", "inception3b", "maxpool3", "inception4a", "inception4b",
                "inception4c", "inception4d", "inception4e", "maxpool4", "inception5a", "inception5b", "avgpool"]
        return [(k, getattr(net, k)) for k in keys] + [("flatten", flat), ("dropout", net.dropout), ("fc", net.fc)]
    raise SystemExit(f"unknown model {name}")


def module_at(net, path):
    m = net
    for part in path.split("."):
        m = m._modules[part]
    return m


class _Stop(Exception):
    pass


def hooked_cut(net, image, lower, upper):
    """x -> the upper module's output when the lower module's output is replaced by x (batch of any size)."""
    lo, up = module_at(net, lower), module_at(net, upper)

    def f(x):
        got = {}
        # clone(): a later in-place op (densenet's F.relu(inplace=True)) must not touch the leaf.
        h1 = lo.register_forward_hook(lambda m, i, o: x.clone())
        h2 = up.register_forward_hook(lambda m, i, o: (got.__setitem__("y", o), (_ for _ in ()).throw(_Stop()))[0])
        try:
            net(image)
        except _Stop:
            pass
        finally:
            h1.remove()
            h2.remove()
        return got["y"]

    return f


def module_output(net, image, path):
    got = {}
    h = module_at(net, path).register_forward_hook(lambda m, i, o: (got.__setitem__("y", o), (_ for _ in ()).throw(_Stop()))[0])
    try:
        with torch.no_grad():
            net(image)
    except _Stop:
        pass
    finally:
        h.remove()
    return got["y"]


def cut(seq, lower, upper):
    names = [n for n, _ in seq]
    lo = names.index(lower)
    hi = len(names) - 1 if upper == "logits" and "logits" not in names else names.index(upper)
    mods = [m for _, m in seq[lo + 1:hi + 1]]
    return lambda x: torch.nn.Sequential(*mods)(x)


def to_channels_first(rank, axis):
    """The permutation that moves `axis` to 1, the others in order (src/engine/onnx/channels-first.ts)."""
    return [0, axis] + [i for i in range(1, rank) if i != axis]


def gauss_legendre(n):
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1), 0.5 * w


def rel(ours, ref):
    scale = np.abs(ref).max()
    return np.abs(ours - ref).max() / scale if scale > 0 else (0.0 if np.abs(ours).max() == 0 else np.inf)


def main():
    dirs = sys.argv[1:] or [os.path.join(ROOT, ".cache", "grad-verify")]
    nets = {}
    torch.set_grad_enabled(True)
    worst = {}
    failures = []
    for d in dirs:
        for e in json.load(open(os.path.join(d, "manifest.json")))["entries"]:
            name = e["model"]
            if name not in nets:
                nets[name] = build_model(name)
                print(f"{name}: {check_weights(name, nets[name])} named initializers equal the torch parameters")
            net32 = nets[name].float()
            a = torch.from_numpy(np.load(os.path.join(d, e["lowerFile"])).astype(np.float64))
            # Token and channels-last modules: our files hold the activation (and gradient) channels first.
            lower_axis, upper_axis = e.get("lowerAxis", 1), e.get("upperAxis", 1)
            perm = to_channels_first(a.dim(), lower_axis)
            inverse = [perm.index(i) for i in range(a.dim())]
            a = a.permute(*inverse).contiguous()
            if e.get("modules"):
                image = torch.from_numpy(np.load(os.path.join(d, e["imageFile"])))
                mine = module_output(net32, image, e["lower"])
                match = rel(a.numpy(), mine.double().numpy())
                if match > 1e-4:
                    raise SystemExit(f"{name}: module {e['lower']} output differs from tensor {e['lowerTensor']} (rel {match:.2e}): wrong module match")
                net = nets[name].double()
                f = hooked_cut(net, image.double(), e["lower"], e["upper"])
                f32 = lambda x: hooked_cut(nets[name].float(), image, e["lower"], e["upper"])(x)  # noqa: E731
            else:
                net = nets[name].double()
                f = cut(sequence(name, net), e["lower"], e["upper"])
                f32 = lambda x: cut(sequence(name, nets[name].float()), e["lower"], e["upper"])(x)  # noqa: E731
            j = e["target"]

            def F(x):
                y = f(x).select(upper_axis, j)
                return y.reshape(y.shape[0], -1).mean(1)

            nets[name].double()
            x = a.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(F(x).sum(), x)
            alphas, weights = gauss_legendre(e["steps"])
            xs = (torch.from_numpy(alphas).view(-1, *[1] * (a.dim() - 1)) * a).requires_grad_(True)
            (gs,) = torch.autograd.grad(F(xs).sum(), xs)
            ig = (torch.from_numpy(weights).view(-1, *[1] * (a.dim() - 1)) * gs).sum(0, keepdim=True) * a
            ig = ig.permute(*perm)
            ig = ig.reshape(ig.shape[1], -1).sum(1) if a.dim() > 2 else ig.reshape(-1)
            g = g.permute(*perm).contiguous()
            rg = rel(np.load(os.path.join(d, e["gradFile"])).astype(np.float64), g.numpy())
            ri = rel(np.load(os.path.join(d, e["igFile"])), ig.detach().numpy())
            worst[name] = max(worst.get(name, 0), rg, ri)
            flag = "" if max(rg, ri) < 1e-3 else "  FAIL"
            if flag:
                # Is it float32 itself? The same cut in float32 torch, from the same lower activation.
                x32 = a.float().requires_grad_(True)
                y32 = f32(x32).select(upper_axis, j)
                (g32,) = torch.autograd.grad(y32.reshape(1, -1).mean(1).sum(), x32)
                g32 = g32.permute(*perm)
                nets[name].double()
                ours = np.load(os.path.join(d, e["gradFile"])).astype(np.float64)
                # A ReLU input within float32 rounding of 0 flips its mask: the error then sits in that unit's
                # receptive field (a few positions), not everywhere.
                err = np.abs(ours - g.numpy())[0]
                where = (err > 1e-4 * np.abs(g.numpy()).max()).reshape(err.shape[0], -1).any(0)
                flag += (f" (torch float32 vs float64 {rel(g32.double().numpy(), g.numpy()):.2e}, ours vs torch float32 {rel(ours, g32.double().numpy()):.2e};"
                         f" error at {int(where.sum())} of {where.size} positions)")
                failures.append(f"{name} {e['lower']}->{e['upper']}")
            print(f"{name} {e['lower']}->{e['upper']} j={j}: rel grad {rg:.2e} IG {ri:.2e} (|grad| {g.abs().max().item():.2e}){flag}", flush=True)
    for k, v in worst.items():
        print(f"{k}: worst rel error vs torch {v:.2e}")
    print(f"failures: {failures or 'none'}")


if __name__ == "__main__":
    main()
