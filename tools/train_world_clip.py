#!/usr/bin/env python
"""Train the synthetic world's tiny CLIP models (critic ``world-clip``, judge ``world-judge``).

Contrastive training with open_clip (a small custom config, the real CLIP BPE
tokenizer) on (rendered image, prompt text) pairs from :mod:`semcodec.world`.
Similarity is graded, not all-or-nothing:

- the positive text of an image is its full description (object groups in a
  random order) or, 40% of the time, a true but partial one;
- each image also faces a hard negative: its description with one attribute
  changed (scene, lighting, or one group's colour, shape, count or size);
- a margin term asks the full description to beat a partial one.

Everything is seeded (data, init, order); the run writes ``<out>/<name>/``
in the layout :func:`semcodec.backends.clip.load_critic` reads
(``open_clip_config.json`` + ``open_clip_model.safetensors``, fp16 weights)
and ``train-log.txt`` with the losses and held-out retrieval accuracy.

    python tools/train_world_clip.py world-clip
    python tools/train_world_clip.py world-judge
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from semcodec.world.grammar import partial_text, perturb, random_scene, shuffled_text  # noqa: E402
from semcodec.world.render import render_scene  # noqa: E402

CLIP_VOCAB = 49408
IMAGE = 64
CONTEXT = 40
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)

CONFIGS = {
    # the critic: a small ViT
    "world-clip": {
        "seed": 11,
        "embed_dim": 64,
        "vision_cfg": {"image_size": IMAGE, "layers": 3, "width": 64, "patch_size": 8, "head_width": 32, "mlp_ratio": 2.0},
        "text_cfg": {"context_length": CONTEXT, "vocab_size": CLIP_VOCAB, "width": 32, "heads": 2, "layers": 2},
    },
    # the judge: another seed, another architecture (a ResNet image tower), other data
    "world-judge": {
        "seed": 23,
        "embed_dim": 48,
        "vision_cfg": {"image_size": IMAGE, "layers": [1, 1, 1, 1], "width": 8, "head_width": 32},
        "text_cfg": {"context_length": CONTEXT, "vocab_size": CLIP_VOCAB, "width": 32, "heads": 2, "layers": 2},
    },
}


def log_line(fh, text: str) -> None:
    print(text, flush=True)
    fh.write(text + "\n")
    fh.flush()


def make_split(seed: int, n_scenes: int, renders: int, exclude: set[str] | None = None):
    """Scenes (unique full texts, none in ``exclude``) and their 64-px uint8 renders."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    scenes, seen = [], set(exclude or ())
    while len(scenes) < n_scenes:
        s = random_scene(rng)
        if s.text() in seen:
            continue
        seen.add(s.text())
        scenes.append(s)
    imgs = np.zeros((n_scenes * renders, IMAGE, IMAGE, 3), np.uint8)
    owner = np.zeros(n_scenes * renders, np.int64)
    for i, s in enumerate(scenes):
        for r in range(renders):
            img = render_scene(s, int(rng.integers(0, 2**31)))
            imgs[i * renders + r] = np.asarray(img.resize((IMAGE, IMAGE), Image.BICUBIC))
            owner[i * renders + r] = i
    return scenes, imgs, owner


def to_tensor(torch, batch: np.ndarray):
    x = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def evaluate(torch, model, tokenizer, scenes, imgs, owner, rng) -> dict:
    """Held-out retrieval (one render per scene) and fine-grained accuracy."""
    import torch.nn.functional as F

    model.eval()
    with torch.no_grad():
        first = np.array([np.flatnonzero(owner == i)[0] for i in range(len(scenes))])
        ie = F.normalize(model.encode_image(to_tensor(torch, imgs[first])), dim=-1)
        te = F.normalize(model.encode_text(tokenizer([s.text() for s in scenes])), dim=-1)
        sims = ie @ te.T
        target = torch.arange(len(scenes))
        i2t = (sims.argmax(1) == target).float().mean().item()
        t2i = (sims.argmax(0) == target).float().mean().item()
        i2t5 = (sims.topk(5, dim=1).indices == target[:, None]).any(1).float().mean().item()
        neg = F.normalize(model.encode_text(tokenizer([perturb(s, rng).text() for s in scenes])), dim=-1)
        part = F.normalize(model.encode_text(tokenizer([partial_text(s, rng) for s in scenes])), dim=-1)
        s_full = (ie * te).sum(1)
        fine = (s_full > (ie * neg).sum(1)).float().mean().item()
        graded = (s_full >= (ie * part).sum(1)).float().mean().item()
        # image-image: another render of the same scene vs a render of another scene
        second = np.array([np.flatnonzero(owner == i)[-1] for i in range(len(scenes))])
        ie2 = F.normalize(model.encode_image(to_tensor(torch, imgs[second])), dim=-1)
        ii = ie @ ie2.T
        same = ii.diag().mean().item()
        other = ((ii.sum() - ii.diag().sum()) / (len(scenes) * (len(scenes) - 1))).item()
        ii_acc = (ii.argmax(1) == target).float().mean().item()
    model.train()
    return {"i2t_top1": i2t, "t2i_top1": t2i, "i2t_top5": i2t5, "full_beats_perturbed": fine,
            "full_beats_partial": graded, "img_img_top1": ii_acc, "img_img_same": same, "img_img_other": other}


def train(name: str, out_root: Path, steps: int, batch: int, threads: int, n_train: int, n_eval: int,
          n_bind: int = 0, bind_weight: float = 1.0) -> Path:
    import open_clip
    import torch
    import torch.nn.functional as F
    from safetensors.torch import save_file

    cfg = CONFIGS[name]
    seed = cfg["seed"]
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    out = out_root / name
    out.mkdir(parents=True, exist_ok=True)
    fh = open(out / "train-log.txt", "w", encoding="utf-8")
    model_cfg = {k: v for k, v in cfg.items() if k != "seed"}
    log_line(fh, f"# {name}: {json.dumps(model_cfg)}")
    log_line(fh, f"# seed {seed}, steps {steps}, batch {batch}, threads {threads}, train scenes {n_train} x2 renders, "
                 f"held-out scenes {n_eval}, binding negatives {n_bind} (weight {bind_weight}); torch {torch.__version__}, open_clip {open_clip.__version__}, "
                 f"python {platform.python_version()}")
    t0 = time.time()
    ev_scenes, ev_imgs, ev_owner = make_split(10_000 + seed, n_eval, 2)
    tr_scenes, tr_imgs, tr_owner = make_split(seed, n_train, 2, exclude={s.text() for s in ev_scenes})
    log_line(fh, f"# data rendered in {time.time() - t0:.1f}s; held-out texts never appear in training")

    model = open_clip.CLIP(**model_cfg)
    tokenizer = open_clip.get_tokenizer("ViT-B-32", context_length=CONTEXT)
    params = sum(p.numel() for p in model.parameters())
    log_line(fh, f"# parameters {params}")
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05, betas=(0.9, 0.98))
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
    rng = np.random.default_rng(seed + 1)
    margin = 0.05
    t0 = time.time()
    for step in range(1, steps + 1):
        idx = rng.choice(len(tr_imgs), batch, replace=False)
        scenes = [tr_scenes[tr_owner[i]] for i in idx]
        full = [shuffled_text(s, rng) for s in scenes]
        part = [partial_text(s, rng) for s in scenes]
        neg = [perturb(s, rng).text() for s in scenes]
        # binding negatives: more one-attribute changes of each image's own description
        binds = [[perturb(s, rng).text() for s in scenes] for _ in range(n_bind)]
        use_part = rng.random(batch) < 0.4
        x = to_tensor(torch, tr_imgs[idx])
        toks = tokenizer(full + part + neg + [t for b in binds for t in b])
        ie = F.normalize(model.encode_image(x), dim=-1)
        te = F.normalize(model.encode_text(toks), dim=-1)
        tf, tp, tn = te[:batch], te[batch:2 * batch], te[2 * batch:3 * batch]
        tb = te[3 * batch:].view(n_bind, batch, -1) if n_bind else None
        mask = torch.from_numpy(use_part)[:, None]
        pos = torch.where(mask, tp, tf)
        scale = model.logit_scale.exp().clamp(max=100)
        target = torch.arange(batch)
        # duplicates of one scene in a batch are not negatives of each other
        same = torch.from_numpy(tr_owner[idx][:, None] == tr_owner[idx][None, :]) & ~torch.eye(batch, dtype=torch.bool)
        l_pos = (ie @ pos.T).masked_fill(same, -1e4)
        l_neg = ie @ tn.T
        loss_i2t = F.cross_entropy(scale * torch.cat([l_pos, l_neg], 1), target)
        loss_t2i = F.cross_entropy(scale * (pos @ ie.T).masked_fill(same, -1e4), target)
        s_full = (ie * tf).sum(1)
        strict = torch.tensor([p != f for p, f in zip(part, full)])
        rank = F.relu(margin - (s_full - (ie * tp).sum(1)))[strict].mean() if strict.any() else s_full.sum() * 0
        loss = (loss_i2t + loss_t2i) / 2 + rank
        if n_bind:
            # each image against its own full text and its n_bind+1 one-attribute perturbations
            own = torch.stack([s_full, (ie * tn).sum(1)] + [(ie * tb[j]).sum(1) for j in range(n_bind)], 1)
            loss_bind = F.cross_entropy(scale * own, torch.zeros(batch, dtype=torch.long))
            loss = loss + bind_weight * loss_bind
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0 or step == 1:
            log_line(fh, f"step {step:5d}  loss {loss.item():.4f}  i2t {loss_i2t.item():.4f}  t2i {loss_t2i.item():.4f}  "
                         f"rank {rank.item():.4f}  scale {scale.item():.1f}  lr {sched.get_last_lr()[0]:.2e}  "
                         f"{time.time() - t0:.0f}s")
        if step % 500 == 0 or step == steps:
            ev = evaluate(torch, model, tokenizer, ev_scenes, ev_imgs, ev_owner, np.random.default_rng(99))
            log_line(fh, f"eval step {step}: " + "  ".join(f"{k} {v:.3f}" for k, v in ev.items()))
    log_line(fh, f"# trained in {time.time() - t0:.0f}s")
    final = evaluate(torch, model, tokenizer, ev_scenes, ev_imgs, ev_owner, np.random.default_rng(99))
    log_line(fh, "# final held-out (" + str(n_eval) + " scenes, chance i2t_top1 " + f"{1 / n_eval:.4f}" + "): "
             + json.dumps({k: round(v, 4) for k, v in final.items()}))
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / "open_clip_model.safetensors"))
    config = {
        "model_cfg": model_cfg,
        "preprocess_cfg": {"mean": list(MEAN), "std": list(STD), "interpolation": "bicubic", "resize_mode": "shortest"},
    }
    (out / "open_clip_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "metrics.json").write_text(json.dumps({"name": name, "steps": steps, "batch": batch, "seed": seed,
                                                   "bind_negatives": n_bind, "bind_weight": bind_weight,
                                                   "held_out_scenes": n_eval, **final}, indent=2) + "\n")
    fh.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", choices=sorted(CONFIGS))
    ap.add_argument("--out", default=str(ROOT / "semcodec" / "world" / "data"))
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    ap.add_argument("--train-scenes", type=int, default=6000)
    ap.add_argument("--eval-scenes", type=int, default=500)
    ap.add_argument("--bind-negatives", type=int, default=0,
                    help="extra one-attribute perturbations per image in a binding loss (0: the seed's loss)")
    ap.add_argument("--bind-weight", type=float, default=1.0)
    a = ap.parse_args(argv)
    train(a.name, Path(a.out), a.steps, a.batch, a.threads, a.train_scenes, a.eval_scenes,
          a.bind_negatives, a.bind_weight)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
