#!/usr/bin/env python
"""Attribute-binding accuracy of the world's CLIPs (issue 11, part 3).

Held-out scenes (a seed no training run and no other measurement uses) are
rendered; each image faces its true text and PER_SCENE texts with exactly one
attribute changed (``grammar.perturb``: scene, lighting, or one group's
colour, shape, count or size).  A pair is bound when the true text scores
higher under the critic (chance 50%).  Prints a table and writes JSON.

    python tools/world_binding.py --out bench/results/world/binding.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BINDING_SEED = 31337  # held-out stream: not 20240 (the study), 4242 (tests), nor any training seed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--critics", default="world-graph,world-clip,world-judge")
    ap.add_argument("--model-dir", default=None, help="load the critics from this folder (e.g. a fresh training run)")
    ap.add_argument("--n", type=int, default=500, help="held-out scenes")
    ap.add_argument("--per-scene", type=int, default=4)
    ap.add_argument("--seed", type=int, default=BINDING_SEED)
    ap.add_argument("--out", default=None, help="write the figures as JSON here")
    a = ap.parse_args(argv)

    from semcodec.backends import load_critic
    from semcodec.world.dataset import sample_scenes
    from semcodec.world.study import PERTURB_TYPES, binding_accuracy

    samples = sample_scenes(a.n, seed=a.seed)
    res = {}
    for name in a.critics.split(","):
        critic = load_critic(name, device="cpu", model_dir=a.model_dir)
        res[name] = binding_accuracy(critic, samples, seed=a.seed + 1, per_scene=a.per_scene)
    command = "python tools/world_binding.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"binding accuracy on {a.n} held-out scenes (seed {a.seed}) x {a.per_scene} one-attribute changes; chance 0.5")
    print("| critic | all (± s.e.) | " + " | ".join(PERTURB_TYPES) + " |")
    print("|---|---|" + "---|" * len(PERTURB_TYPES))
    for name, r in res.items():
        print(f"| {name} | {r['accuracy']:.3f} ± {r['se']:.3f} | "
              + " | ".join(f"{r['per_type'][t]:.3f}" for t in PERTURB_TYPES) + " |")
    print(f"Command: `{command}`")
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps({"seed": a.seed, "scenes": a.n, "per_scene": a.per_scene,
                                           "model_dir": a.model_dir, "command": command, "critics": res},
                                          indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
