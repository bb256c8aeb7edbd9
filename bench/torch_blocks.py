#!/usr/bin/env python3
"""PyTorch forward+backward times of the building blocks in
bench/gomlxbench/blocks.go (same shapes, NHWC semantics; torch runs NCHW).
Prints one line per block: "torchblock <name> median_ms=<x>".

  /usr/bin/python3 bench/torch_blocks.py --threads 2
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F

B, S, CIN, COUT = 16, 64, 16, 32
AB, AS, AD, AH = 16, 60, 128, 4


def s2d(x):  # NCHW space-to-depth by 2
    return F.pixel_unshuffle(x, 2)


def blocks():
    x = torch.randn(B, CIN, S, S, requires_grad=True)
    k3 = (torch.randn(COUT, CIN, 3, 3) / math.sqrt(9 * CIN)).requires_grad_()
    k3s = (torch.randn(COUT, 4 * CIN, 3, 3) / math.sqrt(36 * CIN)).requires_grad_()
    w = (torch.randn(4 * CIN, COUT) / math.sqrt(4 * CIN)).requires_grad_()
    ax = torch.randn(AB, AS, AD, requires_grad=True)
    ws = [(torch.randn(AD, AD) / math.sqrt(AD)).requires_grad_() for _ in range(4)]
    mask = torch.triu(torch.ones(AS, AS, dtype=torch.bool), 1)

    def attention():
        q, k, v = [(ax @ wi).view(AB, AS, AH, AD // AH).transpose(1, 2) for wi in ws[:3]]
        sc = (q @ k.transpose(-1, -2)) / math.sqrt(AD // AH)
        sc = sc.masked_fill(mask, float("-inf"))
        o = (sc.softmax(-1) @ v).transpose(1, 2).reshape(AB, AS, AD)
        return (o @ ws[3]).square().mean()

    return {
        "conv3x3-s1+maxpool2": lambda: F.max_pool2d(F.conv2d(x, k3, padding=1), 2).square().mean(),
        "space2depth+matmul": lambda: (s2d(x).permute(0, 2, 3, 1) @ w).square().mean(),
        "space2depth+conv3x3-s1": lambda: F.conv2d(s2d(x), k3s, padding=1).square().mean(),
        "conv3x3-s2 (strided)": lambda: F.conv2d(x, k3, stride=2, padding=1).square().mean(),
        "conv3x3-s1+meanpool2": lambda: F.avg_pool2d(F.conv2d(x, k3, padding=1), 2).square().mean(),
        "attention (einsum+mask+softmax)": attention,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for name, fn in blocks().items():
        for _ in range(2):
            fn().backward()
        ts = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            fn().backward()
            ts.append(time.perf_counter() - t0)
        print("torchblock %s median_ms=%.2f" % (name, 1000 * statistics.median(ts)))


if __name__ == "__main__":
    main()
