"""PyTorch implementation of mrgkit's `cpu` preset phase-1 (teacher) train
step, with the same shapes and the same computation as the GoMLX graph in
mrgkit/model (encoder.go, knowledge.go, heads.go, layers.go, model.go) and
mrgkit/train (step.go, optim.go), for bench/compare. Only timing matters:
initialisations and random inputs differ from the Go side.

cpu preset (mrgkit/model/params.go Defaults): 2 views of 64x64x1 images;
ResNet-10 (basic blocks 1-1-1-1), width 16, stem: space-to-depth 2 then a 3x3
conv + batch norm (enc_stem_pool=s2d; "max" = conv then 2x2 max-pool),
downsampling by space-to-depth + 1x1 shortcut projection (no
strided convolutions); d_model 128, 4 heads, FFN 256 (GELU), no dropout (the cpu preset since milestone 2);
knowledge graph: 27 nodes, 2 graph-masked layers, 4 heads; fusion: 1
cross-attention layer + MLP 128->256->128; diagnosis: 1 layer, 14 labels x 4
states, loss weight 4; decoder: BOS + 14 prompt tokens + 59 words (plus the
sum of the prompts' (observation, state) embeddings at every position), 2 layers
(causal self-attention, cross-attention to the 32 patch memories, FFN),
max_len 72, label smoothing 0.1; AdamW (lr schedule: 100 warm-up steps then
cosine, weight decay 0.05 on matrices except norms/positions, gradient
clipping by value 0.1). Batch 16; vocabulary 760 words (+ BOS, EOS/pad).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = dict(image_size=64, channels=1, views=2, enc_width=16, enc_stem=3, enc_stem_pool="s2d",
           d=128, heads=4, ffn=256, dropout=0.0, graph_layers=2, graph_heads=4,
           fusion_layers=1, fusion_heads=4, memory_dim=256, diag_layers=1,
           num_labels=14, cls_weight=4.0, dec_layers=2, max_len=72,
           label_smoothing=0.1, lr=5e-3, min_lr=1e-5, warmup=100, total=1000,
           weight_decay=0.05, clip=0.1, batch=16, vocab=760)

# Knowledge graph: organ group of each of the 27 concepts (mrgkit/model/knowledge.go).
GROUPS = [0, 0, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6]
NUM_GROUPS = 7
NEG_INF = -1e9


def sinusoidal(n, d):
    t = torch.zeros(n, d)
    for p in range(n):
        for i in range(d):
            f = 10000 ** (-(2 * (i // 2)) / d)
            t[p, i] = math.sin(p * f) if i % 2 == 0 else math.cos(p * f)
    return t


class Attention(nn.Module):
    """mrgkit/model/layers.go attention: separate Q/K/V/output projections."""

    def __init__(self, d, heads, p):
        super().__init__()
        self.h, self.p = heads, p
        self.query, self.key, self.value, self.output = (nn.Linear(d, d) for _ in range(4))

    def forward(self, q, kv, bias=None):
        b, lq, d = q.shape
        lk = kv.shape[1]
        hd = d // self.h
        q = self.query(q).view(b, lq, self.h, hd)
        k = self.key(kv).view(b, lk, self.h, hd)
        v = self.value(kv).view(b, lk, self.h, hd)
        s = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(hd)
        if bias is not None:
            s = s + bias
        a = F.dropout(s.softmax(-1), self.p, self.training)
        ctx = torch.einsum("bhqk,bkhd->bqhd", a, v).reshape(b, lq, d)
        return self.output(ctx)


class FFN(nn.Module):
    def __init__(self, d, hidden, p):
        super().__init__()
        self.fc1, self.fc2, self.p = nn.Linear(d, hidden), nn.Linear(hidden, d), p

    def forward(self, x):
        return self.fc2(F.dropout(F.gelu(self.fc1(x)), self.p, self.training))


class EncoderLayer(nn.Module):
    """Pre-LN layer: x += attn(LN(x), kv); x += ffn(LN(x))."""

    def __init__(self, d, heads, ffn, p):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.attn, self.ffn = Attention(d, heads, p), FFN(d, ffn, p)

    def forward(self, x, kv=None, bias=None):
        h = self.ln1(x)
        x = x + self.attn(h, h if kv is None else kv, bias)
        return x + self.ffn(self.ln2(x))


class BasicBlock(nn.Module):
    def __init__(self, cin, out, down):
        super().__init__()
        self.down = down
        c = 4 * cin if down else cin
        self.short = None
        if down or c != out:
            self.short = nn.Sequential(nn.Conv2d(c, out, 1, bias=False), nn.BatchNorm2d(out))
        self.conv1 = nn.Sequential(nn.Conv2d(c, out, 3, padding=1, bias=False), nn.BatchNorm2d(out))
        self.conv2 = nn.Sequential(nn.Conv2d(out, out, 3, padding=1, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        if self.down:
            x = F.pixel_unshuffle(x, 2)  # space-to-depth
        sc = x if self.short is None else self.short(x)
        return F.relu(self.conv2(F.relu(self.conv1(x))) + sc)


class ResNet10(nn.Module):
    def __init__(self, channels, width, stem, stem_pool="s2d"):
        super().__init__()
        if stem_pool == "s2d":  # space-to-depth 2, then the stem conv at half resolution
            self.stem = nn.Sequential(nn.PixelUnshuffle(2),
                                      nn.Conv2d(4 * channels, width, stem, padding=stem // 2, bias=False),
                                      nn.BatchNorm2d(width), nn.ReLU())
        else:  # "max": conv, then 2x2 max-pool (ResNet)
            self.stem = nn.Sequential(nn.Conv2d(channels, width, stem, padding=stem // 2, bias=False),
                                      nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2))
        blocks, cin = [], width
        for stage in range(4):
            w = width << stage
            blocks.append(BasicBlock(cin, w, stage > 0))
            cin = w
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(self.stem(x))


class Teacher(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, p = c["d"], c["dropout"]
        vis = 8 * c["enc_width"]
        self.resnet = ResNet10(c["channels"], c["enc_width"], c["enc_stem"], c["enc_stem_pool"])
        self.patch_proj, self.global_proj = nn.Linear(vis, d), nn.Linear(vis, d)
        k = len(GROUPS)
        self.node_embeddings = nn.Parameter(torch.randn(k, d) * 0.02)
        self.register_buffer("group_enc", sinusoidal(NUM_GROUPS, d)[GROUPS])
        adj = torch.tensor([[i == j or i == 0 or j == 0 or GROUPS[i] == GROUPS[j] for j in range(k)]
                            for i in range(k)])
        self.register_buffer("graph_bias", torch.where(adj, 0.0, NEG_INF).view(1, 1, k, k))
        self.graph = nn.ModuleList(EncoderLayer(d, c["graph_heads"], c["ffn"], p) for _ in range(c["graph_layers"]))
        self.graph_ln = nn.LayerNorm(d, eps=1e-5)
        self.fusion = nn.ModuleList(EncoderLayer(d, c["fusion_heads"], c["ffn"], p) for _ in range(c["fusion_layers"]))
        self.fusion_ln = nn.LayerNorm(d, eps=1e-5)
        self.mlp1, self.mlp2 = nn.Linear(d, c["memory_dim"]), nn.Linear(c["memory_dim"], d)
        self.diag = nn.ModuleList(EncoderLayer(d, c["heads"], c["ffn"], p) for _ in range(c["diag_layers"]))
        self.diag_ln = nn.LayerNorm(d, eps=1e-5)
        self.classifier = nn.Linear(2 * d, c["num_labels"] * 4)
        ntok = c["vocab"] + 2
        self.words = nn.Parameter(torch.randn(ntok, d) * 0.02)
        self.prompts = nn.Parameter(torch.randn(c["num_labels"] * 4, d) * 0.02)
        # prompt_cond: the sum of (observation, state) embeddings, added to every position.
        self.prompt_cond = nn.Parameter(torch.randn(c["num_labels"] * 4, d) * 0.02)
        seq = 1 + c["num_labels"] + c["max_len"] - 1
        self.positions = nn.Parameter(torch.randn(seq, d) * 0.02)
        self.dec = nn.ModuleList(DecoderLayer(d, c["heads"], c["ffn"], p) for _ in range(c["dec_layers"]))
        self.dec_ln = nn.LayerNorm(d, eps=1e-5)
        self.lm_head = nn.Linear(d, ntok)
        self.register_buffer("causal", torch.triu(torch.full((seq, seq), NEG_INF), 1).view(1, 1, seq, seq))

    def forward(self, images, tokens, labels):
        c, p = self.c, self.c["dropout"]
        b, v = images.shape[:2]
        f = self.resnet(images.flatten(0, 1))                      # [B*V, 128, 4, 4]
        patches = f.flatten(2).transpose(1, 2).reshape(b, -1, f.shape[1])  # [B, V*16, 128]
        glob = patches.mean(1)
        pd, gd = self.patch_proj(patches), self.global_proj(glob)
        x = (self.node_embeddings + self.group_enc).unsqueeze(0)
        for layer in self.graph:
            x = layer(x, bias=self.graph_bias)
        nodes = self.graph_ln(x).expand(b, -1, -1)                 # [B, 27, d]
        x = pd
        for layer in self.fusion:
            x = layer(x, kv=nodes)
        memory = self.mlp2(F.relu(self.mlp1(self.fusion_ln(x))))
        q = gd.unsqueeze(1)
        for layer in self.diag:
            q = layer(q, kv=nodes)
        cls_logits = self.classifier(torch.cat([gd, self.diag_ln(q).squeeze(1)], -1)).view(b, c["num_labels"], 4)
        # Decoder with teacher forcing.
        ntok = c["vocab"] + 2
        bos = self.words[ntok - 1].expand(b, 1, -1)
        offs = torch.arange(c["num_labels"]) * 4
        x = torch.cat([bos, self.prompts[labels + offs], self.words[tokens[:, :-1]]], 1)
        x = x + self.prompt_cond[labels + offs].sum(1, keepdim=True)
        x = F.dropout(x + self.positions, p, self.training)
        for layer in self.dec:
            x = layer(x, memory, self.causal)
        x = self.dec_ln(x)[:, c["num_labels"]:]
        return self.lm_head(x), cls_logits


class DecoderLayer(nn.Module):
    def __init__(self, d, heads, ffn, p):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = (nn.LayerNorm(d, eps=1e-5) for _ in range(3))
        self.self_attn, self.cross_attn, self.ffn, self.p = Attention(d, heads, p), Attention(d, heads, p), FFN(d, ffn, p), p

    def forward(self, x, memory, causal):
        h = self.ln1(x)
        x = x + F.dropout(self.self_attn(h, h, causal), self.p, self.training)
        x = x + F.dropout(self.cross_attn(self.ln2(x), memory), self.p, self.training)
        return x + F.dropout(self.ffn(self.ln3(x)), self.p, self.training)


def losses(c, lm_logits, cls_logits, tokens, labels):
    logp = lm_logits.log_softmax(-1)
    nll = -logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    per_tok = (1 - c["label_smoothing"]) * nll + c["label_smoothing"] * (-logp.mean(-1))
    length = (tokens != 0).float().sum(1, keepdim=True)
    mask = (torch.arange(tokens.shape[1]).float().unsqueeze(0) <= length).float()
    lm = (per_tok * mask).sum() / mask.sum().clamp(min=1)
    cls = F.cross_entropy(cls_logits.reshape(-1, 4), labels.reshape(-1))
    return lm + c["cls_weight"] * cls


def train_step(cfg=None):
    c = dict(CFG, **(cfg or {}))
    torch.manual_seed(42)
    model = Teacher(c)
    model.train()
    decay, no_decay = [], []
    for name, prm in model.named_parameters():
        if prm.dim() >= 2 and not any(s in name for s in ("norm", "ln", "positions", "bn")):
            decay.append(prm)
        else:
            no_decay.append(prm)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": c["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}], lr=c["lr"], eps=1e-8)

    def lr_at(step):  # mrgkit/train/optim.go LearningRate, as a factor of lr
        step += 1
        if step <= c["warmup"]:
            return step / c["warmup"]
        prog = min(1.0, (step - c["warmup"]) / max(1, c["total"] - c["warmup"]))
        return (c["min_lr"] + 0.5 * (c["lr"] - c["min_lr"]) * (1 + math.cos(math.pi * prog))) / c["lr"]

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    g = torch.Generator().manual_seed(1)
    b = c["batch"]
    images = torch.randn(b, c["views"], c["channels"], c["image_size"], c["image_size"], generator=g)
    tokens = torch.zeros(b, c["max_len"], dtype=torch.long)
    for i in range(b):
        n = c["max_len"] // 2 + int(torch.randint(0, c["max_len"] // 2, (1,), generator=g))
        n = min(n, c["max_len"] - 1)
        tokens[i, :n] = torch.randint(1, c["vocab"] + 1, (n,), generator=g)
    labels = torch.randint(0, 4, (b, c["num_labels"]), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        lm_logits, cls_logits = model(images, tokens, labels)
        loss = losses(c, lm_logits, cls_logits, tokens, labels)
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), c["clip"])
        opt.step()
        sched.step()
        return loss.item()

    return step


def count_parameters(cfg=None):
    c = dict(CFG, **(cfg or {}))
    return sum(p.numel() for p in Teacher(c).parameters())


if __name__ == "__main__":
    s = train_step()
    print("params", count_parameters(), "losses", [round(s(), 3) for _ in range(5)])
