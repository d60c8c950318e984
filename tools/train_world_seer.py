#!/usr/bin/env python
"""Train world-seer, the synthetic world's image -> scene-graph describer (semcodec/world/seer.py).

Supervised slot prediction on freshly rendered world scenes: every step draws
new scenes (``grammar.random_scene``, max_groups=3 as the data set does) with
random render seeds, so no picture is seen twice.  Scenes whose text occurs
in a held-out stream are never trained on: the first 2000 scenes of
:func:`semcodec.world.dataset.sample_scenes` for each seed in HELD_OUT_SEEDS
(the study, the binding measurement, the end-to-end checks, the tests) and
the 500 scenes of this tool's own evaluation stream (EVAL_SEED).

Losses: cross-entropy of the scene and the lighting, of each of the 48
(colour, shape) slots' count (absent, 1, 2, 3), and of the size of every
present slot.  Everything is seeded (data, init, order).  The run writes
``<out>/world-seer/``: ``config.json``, ``model.safetensors`` (fp16),
``train-log.txt`` (command, versions, losses, timing) and ``metrics.json``
(held-out per-head accuracy and the mean oracle F1 of the argmax scene).

    python tools/train_world_seer.py
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from semcodec.world.dataset import sample_scenes  # noqa: E402
from semcodec.world.grammar import random_scene, vocab  # noqa: E402
from semcodec.world.render import render_scene  # noqa: E402

SEED = 101
EVAL_SEED = 10101  # this tool's held-out evaluation stream
HELD_OUT_SEEDS = (20240, 8080, 31337, 6061, 4242)  # study, bench, binding, end-to-end, tests
HELD_OUT_N = 2000


def log_line(fh, text: str) -> None:
    print(text, flush=True)
    fh.write(text + "\n")
    fh.flush()


def excluded_texts(eval_n: int) -> set[str]:
    out = set()
    for seed in HELD_OUT_SEEDS:
        out.update(s.scene.text() for s in sample_scenes(HELD_OUT_N, seed=seed))
    out.update(s.scene.text() for s in sample_scenes(eval_n, seed=EVAL_SEED))
    return out


def centres(scene, seed: int, n: int = 128) -> list[tuple[float, float, int]]:
    """(x, y, group index) of every object the renderer draws for (scene, seed): its own layout code
    (``render._draw_group`` on a scratch canvas, the same random streams), so the centres are exact."""
    from PIL import Image, ImageDraw

    from semcodec.world import render

    draw = ImageDraw.Draw(Image.new("RGB", (n, n)))
    taken: list = []
    owner: list[int] = []
    for i, group in enumerate(scene.objects):
        render._draw_group(draw, group, n, render._rng(seed, 1, i), taken)
        owner += [i] * group.count
    return [(float(x), float(y), i) for (x, y, _), i in zip(taken, owner)]


def draw_batch(rng: np.random.Generator, n: int, exclude: set[str], grid: int):
    """``n`` fresh training scenes (none excluded), their renders (n, 128, 128, 3) uint8 and targets,
    with per-cell ones (n, grid*grid): ``cell`` the group index of the object centred there (-1: none)
    and that group's ``cell_colour``, ``cell_shape``, ``cell_size`` (-1 where no object is centred)."""
    from semcodec.world.seer import IMAGE, encode_targets, image_array

    v = vocab()
    colours, shapes = list(v.colours), list(v.shapes)
    scenes, imgs = [], []
    cell = {k: np.full((n, grid * grid), -1, np.int64) for k in ("cell_colour", "cell_shape", "cell_size")}
    while len(scenes) < n:
        s = random_scene(rng, max_groups=3)
        seed = int(rng.integers(0, 2**31))
        if s.text() in exclude:
            continue
        b = len(scenes)
        for x, y, i in centres(s, seed, IMAGE):
            g = s.objects[i]
            k = min(grid - 1, int(y * grid / IMAGE)) * grid + min(grid - 1, int(x * grid / IMAGE))
            cell["cell_colour"][b, k] = colours.index(g.colour)
            cell["cell_shape"][b, k] = shapes.index(g.shape)
            cell["cell_size"][b, k] = v.sizes.index(g.size)
        scenes.append(s)
        imgs.append(image_array(render_scene(s, seed)))
    t = [encode_targets(s) for s in scenes]
    targets = {k: np.stack([np.asarray(d[k]) for d in t]) for k in t[0]}
    targets.update(cell)
    return scenes, np.stack(imgs), targets


def evaluate(model, samples) -> dict:
    """Per-head accuracy and oracle F1 of the argmax scene on held-out samples."""
    from semcodec.world.oracle import mean_scores, score_scene
    from semcodec.world.seer import encode_targets

    imgs = [render_scene(s.scene, s.seed) for s in samples]
    beliefs = model.beliefs(imgs)
    preds = [b.best() for b in beliefs]
    scene = light = slots_all = 0
    present = count_present = size_present = 0
    false_pos = 0
    for s, b, p in zip(samples, beliefs, preds):
        t = encode_targets(s.scene)
        scene += int(np.argmax(b.scene)) == t["scene"]
        light += int(np.argmax(b.lighting)) == t["lighting"]
        c = np.argmax(b.count, 1)
        slots_all += int(np.all(c == t["count"]))
        on = t["count"] > 0
        present += int(on.sum())
        count_present += int((c[on] == t["count"][on]).sum())
        size_present += int((np.argmax(b.size, 1)[on] == t["size"][on]).sum())
        false_pos += int(((c > 0) & ~on).sum())
    n = len(samples)
    scores = [score_scene(s.scene, p) for s, p in zip(samples, preds)]
    exact = sum(sc.f1 == 1.0 for sc in scores)  # the whole graph right (group order is free)
    ms = mean_scores(scores)
    return {"scenes": n, "scene_acc": scene / n, "lighting_acc": light / n,
            "count_acc_present": count_present / present, "size_acc_present": size_present / present,
            "false_groups_per_scene": false_pos / n, "all_slots_exact": slots_all / n, "graph_exact": exact / n,
            "oracle_f1": ms["f1"], "oracle_precision": ms["precision"], "oracle_recall": ms["recall"],
            "oracle_per_type": ms["per_type"]}


def reevaluate(out: Path, n: int, command: str) -> int:
    """Measure the weights in ``out`` again (after a change to :func:`evaluate`), keeping the training figures."""
    from semcodec.world.seer import SeerModel

    final = evaluate(SeerModel.load(out), sample_scenes(n, seed=EVAL_SEED))
    path = out / "metrics.json"
    metrics = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    metrics.update(final)
    metrics["eval_command"] = command
    path.write_text(json.dumps(metrics, indent=2) + "\n")
    with open(out / "train-log.txt", "a", encoding="utf-8") as fh:
        log_line(fh, f"# re-measured ({command}): held-out ({n} scenes, seed {EVAL_SEED}): " + json.dumps(final))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "semcodec" / "world" / "data"))
    ap.add_argument("--steps", type=int, default=1800)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--eval-scenes", type=int, default=500)
    ap.add_argument("--eval-every", type=int, default=300, help="log a quick held-out check every N steps (100 scenes)")
    ap.add_argument("--eval-only", action="store_true",
                    help="no training: re-measure the weights in --out on the held-out stream, rewrite metrics.json "
                    "and append the figures to train-log.txt")
    ap.add_argument("--count-weight", type=float, default=4.0)
    ap.add_argument("--detect-weight", type=float, default=1.0, help="weight of the per-cell losses (objectness, colour, shape, size)")
    ap.add_argument("--object-weight", type=float, default=2.0, help="positive-class weight of the objectness loss")
    a = ap.parse_args(argv)

    import torch
    import torch.nn.functional as F
    from safetensors.torch import save_file

    from semcodec.world.seer import (CONFIG_FILE, DEFAULT_ARCH, IMAGE, MODEL_NAME, WEIGHTS_FILE, SeerModel, build_net,
                                     to_tensor)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    out = Path(a.out) / MODEL_NAME
    out.mkdir(parents=True, exist_ok=True)
    command = "python tools/train_world_seer.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if a.eval_only:
        return reevaluate(out, a.eval_scenes, command)
    fh = open(out / "train-log.txt", "w", encoding="utf-8")
    log_line(fh, f"# {MODEL_NAME}: {json.dumps(DEFAULT_ARCH)}")
    log_line(fh, f"# command: {command}")
    log_line(fh, f"# seed {a.seed}, steps {a.steps}, batch {a.batch}, lr {a.lr}, count weight {a.count_weight}, "
                 f"cell loss weight {a.detect_weight}, object weight {a.object_weight}, threads {a.threads}; torch {torch.__version__}, numpy {np.__version__}, python {platform.python_version()}")
    t_all = time.time()
    exclude = excluded_texts(a.eval_scenes)
    ev = sample_scenes(a.eval_scenes, seed=EVAL_SEED)
    log_line(fh, f"# {len(exclude)} held-out texts excluded from training (first {HELD_OUT_N} of seeds "
                 f"{', '.join(map(str, HELD_OUT_SEEDS))}; {a.eval_scenes} of eval seed {EVAL_SEED}); "
                 f"{time.time() - t_all:.1f}s")

    net = build_net(DEFAULT_ARCH)
    params = sum(p.numel() for p in net.parameters())
    log_line(fh, f"# parameters {params}")
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    warm = max(1, a.steps // 30)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / a.steps))))
    grid = IMAGE // int(np.prod(DEFAULT_ARCH["strides"]))
    pos_weight = torch.tensor(a.object_weight)
    rng = np.random.default_rng(a.seed)
    t0 = time.time()
    t_data = 0.0
    run = {}
    net.train()
    for step in range(1, a.steps + 1):
        td = time.time()
        _, imgs, tg = draw_batch(rng, a.batch, exclude, grid)
        t_data += time.time() - td
        y = net(to_tensor(imgs))
        tgt = {k: torch.from_numpy(v) for k, v in tg.items()}
        l_scene = F.cross_entropy(y["scene"], tgt["scene"])
        l_light = F.cross_entropy(y["lighting"], tgt["lighting"])
        l_count = F.cross_entropy(y["count"].reshape(-1, y["count"].shape[-1]), tgt["count"].reshape(-1))
        l_size = F.cross_entropy(y["size"].reshape(-1, y["size"].shape[-1]), tgt["size"].reshape(-1), ignore_index=-1)
        on = tgt["cell_colour"] >= 0
        l_det = (F.binary_cross_entropy_with_logits(y["objectness"].flatten(1), on.float(), pos_weight=pos_weight)
                 + F.cross_entropy(y["colour"], tgt["cell_colour"], ignore_index=-1)
                 + F.cross_entropy(y["shape"], tgt["cell_shape"], ignore_index=-1)
                 + F.cross_entropy(y["cell_size"], tgt["cell_size"], ignore_index=-1))
        loss = l_scene + l_light + a.count_weight * l_count + l_size + a.detect_weight * l_det
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        for k, v in (("loss", loss), ("scene", l_scene), ("light", l_light), ("count", l_count), ("size", l_size),
                     ("detect", l_det)):
            run[k] = 0.9 * run.get(k, v.item()) + 0.1 * v.item()
        if step % 50 == 0 or step == 1:
            log_line(fh, f"step {step:5d}  " + "  ".join(f"{k} {v:.4f}" for k, v in run.items())
                     + f"  lr {sched.get_last_lr()[0]:.2e}  {time.time() - t0:.0f}s (data {t_data:.0f}s)")
        if a.eval_every and step % a.eval_every == 0 and step < a.steps:
            net.eval()
            e = evaluate(SeerModel(net, {}), ev[:100])
            net.train()
            log_line(fh, f"eval step {step} (100 held-out): " + "  ".join(
                f"{k} {v:.3f}" for k, v in e.items() if isinstance(v, float)))
    train_s = time.time() - t0
    log_line(fh, f"# trained in {train_s:.0f}s ({t_data:.0f}s rendering)")
    net.eval()
    config = {"name": MODEL_NAME, "format": "semcodec-world-seer-v1", "arch": DEFAULT_ARCH, "image_size": IMAGE,
              "input": "RGB 0..1 and RGB normalised per image (computed inside the network)",
              "heads": {"scene": "12-way", "lighting": "6-way", "count": "48 (colour, shape) slots x (absent, 1, 2, 3)",
                        "size": "48 slots x (small, large)"}}
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in net.state_dict().items()
             if v.dtype.is_floating_point}
    state.update({k: v.detach().contiguous() for k, v in net.state_dict().items() if not v.dtype.is_floating_point})
    save_file(state, str(out / WEIGHTS_FILE))
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    final = evaluate(SeerModel.load(out), ev)  # the shipped (fp16) weights, as loaded
    log_line(fh, f"# final held-out ({len(ev)} scenes, seed {EVAL_SEED}): " + json.dumps(final))
    log_line(fh, f"# total wall time {time.time() - t_all:.0f}s")
    (out / "metrics.json").write_text(json.dumps(
        {"name": MODEL_NAME, "seed": a.seed, "steps": a.steps, "batch": a.batch, "threads": a.threads,
         "parameters": params, "train_seconds": round(train_s, 1), "eval_seed": EVAL_SEED,
         "excluded_seeds": list(HELD_OUT_SEEDS), "command": command, **final}, indent=2) + "\n")
    fh.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
