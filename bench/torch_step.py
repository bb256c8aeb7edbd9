#!/usr/bin/env python3
"""PyTorch side of mrgkit's CPU benchmark (run by bench/compare).

Times one AdamW train step of the same models the Go side runs and prints
one line: "torchstep model=<m> threads=<n> median_s=<seconds> cpu_s=<seconds>
steps=<n> blas=<libs>" (median wall time per step; process CPU time per step).

  /usr/bin/python3 bench/torch_step.py --model tiny --threads 2 --steps 10

Models:
  tiny  2-layer 128-d pre-LayerNorm causal transformer, 4 heads, FFN 512,
        batch 16, seq 60, vocab 800, AdamW(lr 1e-3, wd 0.01): the same as
        bench/gomlxbench/tiny.go.
  cpu   the mrgkit `cpu` preset's train step (bench/torch_cpu_preset.py).
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyBlock(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.ln_attention = nn.LayerNorm(dim, eps=1e-5)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_ffn = nn.LayerNorm(dim, eps=1e-5)
        self.ffn_in = nn.Linear(dim, ffn)
        self.ffn_out = nn.Linear(ffn, dim)

    def forward(self, x, mask):
        h = self.ln_attention(x)
        h, _ = self.attention(h, h, h, attn_mask=mask, need_weights=False)
        x = x + h
        return x + self.ffn_out(F.relu(self.ffn_in(self.ln_ffn(x))))


class Tiny(nn.Module):
    def __init__(self, vocab=800, seq=60, dim=128, heads=4, layers=2, ffn=512):
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Parameter(torch.randn(seq, dim) * 0.02)
        self.layers = nn.ModuleList([TinyBlock(dim, heads, ffn) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(dim, eps=1e-5)
        self.logits = nn.Linear(dim, vocab)
        self.register_buffer("mask", torch.triu(torch.ones(seq, seq, dtype=torch.bool), 1))

    def forward(self, tokens):
        x = self.tokens(tokens) + self.positions
        for layer in self.layers:
            x = layer(x, self.mask)
        return self.logits(self.ln_final(x))


def tiny_step(batch=16, seq=60, vocab=800):
    torch.manual_seed(42)
    model = Tiny(vocab=vocab, seq=seq)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    g = torch.Generator().manual_seed(1)
    rows = torch.randint(0, vocab, (batch, seq + 1), generator=g)
    tokens, labels = rows[:, :-1].contiguous(), rows[:, 1:].contiguous()

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(tokens)
        loss = F.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1))
        loss.backward()
        opt.step()
        return loss.item()

    return step


def blas_library():
    """The BLAS shared library loaded in this process (after a matmul)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if "blas" in p.lower() or "mkl" in p.lower():
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tiny", choices=["tiny", "cpu"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=0, help="cpu model: batch size (0: the preset's 16)")
    ap.add_argument("--image-size", type=int, default=0, help="cpu model: image side (0: the preset's 64)")
    ap.add_argument("--check-blas", action="store_true",
                    help="fail unless torch uses OpenBLAS (the reference BLAS is ~9x slower)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    libs = blas_library()
    if args.check_blas and not any("openblas" in l for l in libs):
        print("torchstep: torch is not using OpenBLAS (loaded: %s); install libopenblas0-pthread"
              % (", ".join(libs) or "none"), file=sys.stderr)
        sys.exit(1)
    if args.model == "tiny":
        step = tiny_step()
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import torch_cpu_preset
        cfg = {}
        if args.batch > 0:
            cfg["batch"] = args.batch
        if args.image_size > 0:
            cfg["image_size"] = args.image_size
        step = torch_cpu_preset.train_step(cfg)
    for _ in range(args.warmup):
        step()
    times = []
    cpu0 = time.process_time()
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / args.steps
    print("torchstep model=%s threads=%d median_s=%.4f cpu_s=%.4f steps=%d blas=%s"
          % (args.model, torch.get_num_threads(), statistics.median(times), cpu, args.steps,
             "+".join(os.path.basename(l) for l in libs) or "none"))


if __name__ == "__main__":
    main()
