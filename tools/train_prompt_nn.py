#!/usr/bin/env python3
"""Train, quantise and write a network of prompt codec ``lm-ac-v3``, ``lm-ac-v4`` or ``lm-ac-v5`` (semcodec/promptcodec/data/).

    python tools/train_prompt_nn.py --epochs 7         # lm-ac-v3.bin (all written prompts of lm-extra-v1..v3)
    python tools/train_prompt_nn.py --codec lm-ac-v4   # lm-ac-v4.bin (also lm-extra-v4; settings in CODECS)
    python tools/train_prompt_nn.py --codec lm-ac-v5   # lm-ac-v5.bin (all written text but DEV_V5); lm-ac-v5b: seed 5
    python tools/train_prompt_nn.py --dev 1000 --out /tmp/m.bin   # hold 1000 written prompts out, report on them

Floats are used here only: the network is trained in float32 with torch, then
every tensor is quantised to the integers of spec/promptcodec-lm-ac-v3.md
section 3, and the codec never touches a float.  Training is seeded and runs
on the CPU with ``--threads`` threads; the same machine, thread count and
torch version give the same bytes (other machines give a model of the same
quality, not the same bytes: the shipped file is what the codec ID pins).

Inputs (never the held-out prompts in semcodec/bench/data/): corpus/lm-extra-v1.jsonl,
corpus/lm-extra-v2.jsonl, corpus/lm-extra-v3.jsonl (and for lm-ac-v4
corpus/lm-extra-v4.jsonl) and the first ``--template-prompts`` of
corpus/train-v1.jsonl (template-generated).  lm-ac-v4's mixture weights were
fit on corpus/lm-dev-v4.jsonl, which neither of its models is trained on.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from semcodec.promptcodec import nn_model as N  # noqa: E402
from train_prompt_lm import V5_CORPORA, corpus_file, keyed, prompt_fields, read_corpus, read_prompts  # noqa: E402

WRITTEN = ("corpus/lm-extra-v1.jsonl", "corpus/lm-extra-v2.jsonl", "corpus/lm-extra-v3.jsonl")
# codec -> (written corpora, model file, argument defaults); a shipped file never changes
CODECS = {
    "lm-ac-v3": (WRITTEN, N.MODEL_FILE, {}),
    "lm-ac-v4": (WRITTEN + ("corpus/lm-extra-v4.jsonl",), N.MODEL_FILE_V4, {"epochs": 7, "max_vocab": 16384}),
    # lm-ac-v5's two networks: every written prompt but its tuning set (train_prompt_lm.DEV_V5), two seeds
    "lm-ac-v5": (tuple(c for c, _ in V5_CORPORA[1:]), N.MODEL_FILE_V5, {"epochs": 7, "max_vocab": 16384}),
    "lm-ac-v5b": (tuple(c for c, _ in V5_CORPORA[1:]), N.MODEL_FILE_V5B, {"epochs": 7, "max_vocab": 16384, "seed": 5}),
}
DEV_POOL = 2  # --dev draws only from the first two (the split the lm-ac-v2 figures used)
TEMPLATE = "corpus/train-v1.jsonl"
STEPS_PER_NAT = 32  # logit resolution: output units are 1/32 nat
EXP_ONE = 1 << 31  # EXP[0]


def field_code(f: int, index: int) -> int:
    return 4 + min(index, 3) if f == 1 else f


def build_vocab(prompts, min_count: int, max_vocab: int) -> list[str]:
    cnt = Counter(k for p in prompts for _, text in prompt_fields(p) for k, _ in keyed(text))
    keys = [k for k, c in sorted(cnt.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]
    return [""] + keys[: max_vocab - 2] + [""]


def featurize(prompts, ids: dict[str, int], V: int):
    """Rows [prev1, prev2, prev3, field code, position, n, bag ids (most recent first, padded)]; targets."""
    OTHER, BOS, PAD = V - 1, V, V + 1
    X, Y = [], []
    for p in prompts:
        bag: list[int] = []
        index = 0
        for f, text in prompt_fields(p):
            prev = [BOS] * N.CONTEXT
            seq = [ids.get(k, OTHER) for k, _ in keyed(text)] + [N.END]
            for t, y in enumerate(seq):
                recent = bag[-N.BAG :][::-1]
                X.append(prev + [field_code(f, index), min(t, N.N_POSITIONS - 1), len(recent)] + recent + [PAD] * (N.BAG - len(recent)))
                Y.append(y)
                prev = [y, *prev[:-1]]
                bag.append(y)
            if f == 1:
                index += 1
    return np.array(X, dtype=np.int64), np.array(Y, dtype=np.int64)


def make_net(V: int, d: int, H: int, D: int, drop: float):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    C = N.CONTEXT

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.E = nn.Embedding(V + 2, d, padding_idx=V + 1)  # tokens, BOS, bag padding
            self.FO = nn.Embedding(N.N_FIELD_CODES, d)
            self.P = nn.Embedding(N.N_POSITIONS, d)
            self.l1 = nn.Linear(d * (C + 3), H)
            self.l2 = nn.Linear(H, D)
            self.out = nn.Linear(D, V)
            self.drop = nn.Dropout(drop)

        def hidden(self, x):
            n = x[:, C + 2].clamp(min=1).unsqueeze(1).float()
            bag = self.E(x[:, C + 3 :]).sum(1) / n
            h = torch.cat([self.E(x[:, :C]).flatten(1), self.FO(x[:, C]), self.P(x[:, C + 1]), bag], 1)
            h1 = F.relu(self.l1(h))
            h2 = F.relu(self.l2(self.drop(h1)))
            return h1, h2

        def forward(self, x):
            return self.out(self.drop(self.hidden(x)[1]))

    return Net()


def train(Xtr, Ytr, V: int, args, Xdv=None, Ydv=None, log=print):
    import torch
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    net = make_net(V, args.d, args.hidden, args.out_dim, args.dropout)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    Xt, Yt = torch.from_numpy(Xtr), torch.from_numpy(Ytr)
    bs = 512
    steps = args.epochs * ((len(Yt) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=steps)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    for ep in range(args.epochs):
        perm = torch.randperm(len(Yt), generator=gen)
        net.train()
        for i in range(0, len(Yt), bs):
            b = perm[i : i + bs]
            loss = F.cross_entropy(net(Xt[b]), Yt[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        msg = f"epoch {ep + 1}/{args.epochs}: {time.time() - t0:.0f} s, train loss {loss.item() / math.log(2):.3f} bits/token"
        if Xdv is not None:
            msg += f", dev {float_bits(net, Xdv, Ydv).mean():.4f} bits/token"
        log(msg)
    net.eval()
    return net


def float_bits(net, X, Y) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(Y), 4096):
            lp = F.log_softmax(net(torch.from_numpy(X[i : i + 4096])), 1)
            out.append(-lp.gather(1, torch.from_numpy(Y[i : i + 4096, None]))[:, 0])
    return torch.cat(out).numpy() / math.log(2)


def _layer(W: np.ndarray, b: np.ndarray, in_scale: float, out_scale: float):
    """Per-row int8 weights with a 16-bit multiplier and one shift (spec section 3.3)."""
    beta = np.maximum(np.abs(W).max(1), 1e-12) / 127.0
    q = np.clip(np.round(W / beta[:, None]), -127, 127).astype(np.int64)
    real_mult = beta * in_scale / out_scale
    shift = int(math.floor(math.log2((1 << 16) - 1) - math.log2(real_mult.max())))
    shift = max(0, min(48, shift))
    mult = np.clip(np.round(real_mult * (1 << shift)), 1, (1 << 16) - 1).astype(np.int64)
    bias = np.round(b / out_scale * (1 << shift)).astype(np.int64)
    if np.abs(bias).max() >= 1 << 40:
        raise SystemExit("a bias does not fit the model file")
    return q, mult, bias, shift


def quantise(net, vocab: list[str], Xcal: np.ndarray, mix=(154,) * 8) -> bytes:
    import torch

    sd = {k: v.detach().double().numpy() for k, v in net.state_dict().items()}
    V = len(vocab)
    E = sd["E.weight"][: V + 1]  # tokens and BOS (the padding row is not part of the model)
    alpha = max(np.abs(E).max(), np.abs(sd["FO.weight"]).max(), np.abs(sd["P.weight"]).max()) / 127.0
    q = lambda a: np.clip(np.round(a / alpha), -127, 127).astype(np.int64)  # noqa: E731
    with torch.no_grad():
        h1, h2 = net.hidden(torch.from_numpy(Xcal))
    a1 = float(h1.max()) / (N.ACT_MAX - 1)
    a2 = float(h2.max()) / (N.ACT_MAX - 1)
    layers = (
        _layer(sd["l1.weight"], sd["l1.bias"], alpha, a1),
        _layer(sd["l2.weight"], sd["l2.bias"], a1, a2),
        _layer(sd["out.weight"], sd["out.bias"], a2, 1.0 / STEPS_PER_NAT),
    )
    exp = []
    t = 0
    while True:
        v = int(math.floor(EXP_ONE * math.exp(-t / STEPS_PER_NAT) + 0.5))
        exp.append(v)
        if v == 0:
            break
        t += 1
    return N.dump_net(vocab, q(E), q(sd["FO.weight"]), q(sd["P.weight"]), layers, exp, list(mix))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codec", choices=sorted(CODECS), default="lm-ac-v3", help="which shipped network to build")
    ap.add_argument("--out", type=Path, help="write the uncompressed model file here (default: into the package, zlib-compressed)")
    ap.add_argument("--dev", type=int, default=0, help="hold this many written prompts out (seeded) and report on them")
    ap.add_argument("--dev-seed", type=int, default=77)
    ap.add_argument("--template-prompts", type=int, default=600)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--max-vocab", type=int, default=1 << 16)
    ap.add_argument("--dim", dest="d", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--out-dim", type=int, default=128)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    pre = ap.parse_known_args(argv)[0]
    written_files, model_file, defaults = CODECS[pre.codec]
    ap.set_defaults(**defaults)
    args = ap.parse_args(argv)

    pool = [p for path in written_files[:DEV_POOL] for p in read_corpus(path)]
    rest = [p for path in written_files[DEV_POOL:] for p in read_corpus(path)]
    written = pool
    dev: list = []
    if args.dev:
        order = list(range(len(written)))
        random.Random(args.dev_seed).shuffle(order)
        held = set(order[: args.dev])
        dev = [p for i, p in enumerate(written) if i in held]
        written = [p for i, p in enumerate(written) if i not in held]
    prompts = written + rest + read_prompts(ROOT / TEMPLATE)[: args.template_prompts]
    for path in (*written_files, TEMPLATE):
        print(f"{path}: sha256 {hashlib.sha256((ROOT / corpus_file(path)).read_bytes()).hexdigest()}")
    vocab = build_vocab(prompts, args.min_count, args.max_vocab)
    V = len(vocab)
    ids = {k: i for i, k in enumerate(vocab) if 0 < i < V - 1}
    Xtr, Ytr = featurize(prompts, ids, V)
    Xdv, Ydv = featurize(dev, ids, V) if dev else (None, None)
    print(f"{len(prompts)} training prompts, {len(Ytr)} symbols, vocabulary {V}; dev {len(dev)} prompts", flush=True)
    net = train(Xtr, Ytr, V, args, Xdv, Ydv, log=lambda m: print(m, flush=True))
    cal = np.random.default_rng(args.seed).choice(len(Ytr), size=min(len(Ytr), 50000), replace=False)
    data = quantise(net, vocab, Xtr[np.sort(cal)])
    sha = hashlib.sha256(data).hexdigest()
    print(f"model file: {len(data)} bytes, sha256 {sha}")
    if args.out:
        args.out.write_bytes(data)
        print(f"wrote {args.out}")
    else:
        out = ROOT / "semcodec" / "promptcodec" / "data" / (model_file + ".zlib")
        out.write_bytes(zlib.compress(data, 9))
        print(f"wrote {out}; pin the sha256 in nn_model.MODELS")
    if dev:
        nchar = sum(len(p.text().encode()) for p in dev)
        print(f"dev float: {float_bits(net, Xdv, Ydv).sum() / nchar:.4f} bits/char of token symbols (before OTHER, case and flags)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
