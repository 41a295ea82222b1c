#!/usr/bin/env python3
"""Same-machine comparison for bench/grad-ig.ts: IG of one upper channel w.r.t. a lower activation with
PyTorch autograd (batched rows, Gauss-Legendre steps as captum), on segments of an ONNX model interpreted
node by node with torch.nn.functional. Bench only: Debian's python3-torch and python3-onnx; no test uses it.

    python3 bench/grad-ig-torch.py --model M.onnx --input first8.npy --segment 'ID|lower|upper' ... \
        [--samples 50] [--targets 2] [--steps 50] [--repeat 3] [--threads 2] [--rows 250,2500]
"""
import argparse
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run_node(node, env):
    x = [env[i] if i else None for i in node.input]
    a = attrs(node)
    op = node.op_type
    if op == 'Conv':
        p = a.get('pads', [0, 0, 0, 0])
        if p[0] != p[2] or p[1] != p[3]:
            raise ValueError('asymmetric pads')
        return F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, a.get('strides', [1, 1]), p[:2], a.get('dilations', [1, 1]), a.get('group', 1))
    if op == 'Relu':
        return F.relu(x[0])
    if op == 'Add':
        return x[0] + x[1]
    if op == 'GlobalAveragePool':
        return x[0].mean(dim=(2, 3), keepdim=True)
    if op == 'Flatten':
        return torch.flatten(x[0], a.get('axis', 1))
    if op == 'Gemm':
        b = x[1].t() if a.get('transB', 0) else x[1]
        return a.get('alpha', 1.0) * (x[0] @ b) + a.get('beta', 1.0) * x[2]
    raise ValueError(f'operator {op} not interpreted')


class Segment:
    def __init__(self, model, lower, upper):
        self.w = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
        need, nodes = {upper}, []
        for node in reversed(model.graph.node):
            if any(o in need for o in node.output):
                nodes.append(node)
                need.update(i for i in node.input if i and i != lower and i not in self.w)
        self.nodes, self.lower, self.upper = nodes[::-1], lower, upper

    def __call__(self, x):
        env = dict(self.w)
        env[self.lower] = x
        for node in self.nodes:
            env[node.output[0]] = run_node(node, env)
        return env[self.upper]


def gauss_legendre(n):
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1), 0.5 * w


def ig(seg, a, j, steps, rows):
    """IG of mean(upper[:, j]) per lower channel (summed over positions), rows (crop, step) per backward."""
    alphas, weights = gauss_legendre(steps)
    alphas = torch.tensor(alphas, dtype=torch.float32)
    weights = torch.tensor(weights, dtype=torch.float32)
    per = max(1, rows // steps)
    out = []
    for s in range(0, a.shape[0], per):
        chunk = a[s:s + per]
        x = (chunk[:, None] * alphas.view(1, -1, 1, 1, 1)).reshape(-1, *a.shape[1:]).requires_grad_(True)
        y = seg(x)
        f = y[:, j].reshape(y.shape[0], -1).mean(1) if y.dim() > 2 else y[:, j]
        (g,) = torch.autograd.grad((f * weights.repeat(chunk.shape[0])).sum(), x)
        g = g.reshape(chunk.shape[0], steps, *a.shape[1:]).sum(1)
        out.append((g * chunk).sum(dim=tuple(range(2, a.dim()))))
    return torch.cat(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--input', required=True)
    ap.add_argument('--segment', action='append', required=True)
    ap.add_argument('--samples', type=int, default=50)
    ap.add_argument('--targets', type=int, default=2)
    ap.add_argument('--steps', type=int, default=50)
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--rows', default='250,2500')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = onnx.load(args.model)
    images = torch.from_numpy(np.load(args.input))
    print(f'torch {torch.__version__} autograd, {args.threads} threads: {args.samples} crops x {args.targets} targets, '
          f'{args.steps} Gauss-Legendre steps, median of {args.repeat}')
    print('segment\trows/backward\tms/target\tattributions/s\trows/s')
    for spec in args.segment:
        sid, lower, upper = spec.split('|')
        with torch.no_grad():
            act = Segment(model, model.graph.input[0].name, lower)(images)
        a = act[torch.arange(args.samples) % act.shape[0]].contiguous()
        seg = Segment(model, lower, upper)
        channels = seg(a[:1]).shape[1]
        targets = [(k * 7) % channels for k in range(args.targets)]
        for rows in [int(r) for r in args.rows.split(',')]:
            ig(seg, a, targets[0], args.steps, rows)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                for j in targets:
                    ig(seg, a, j, args.steps, rows)
                times.append(time.perf_counter() - t0)
            sec = sorted(times)[len(times) // 2]
            n = args.samples * args.targets
            print(f'{sid}\t{rows}\t{1000 * sec / args.targets:.1f}\t{n / sec:.1f}\t{n * args.steps / sec:.0f}')


if __name__ == '__main__':
    main()
