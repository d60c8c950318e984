#!/usr/bin/env python
"""Measure the method in the synthetic world (issue 7, "Measure and report").

1. Write N held-out scenes (``semcodec.world.dataset``).
2. Refinement and seed choice, at one byte budget: encode every scene with
   the interrogator + world-clip critic + world-v1 decoder (N=4 rounds, M=3,
   K=4) and score, under the held-out judge *and* the critic:
   - ``t1_seed0``: iteration 1, first seed only (what K=1, N=1 would send);
   - ``t1_bestK``: iteration 1, best of K=4 seeds (the interrogator's best
     first description, never a weakened start);
   - ``final``: the best after N=4 rounds (what the file decodes to).
3. Rate-fidelity: ``sembench rd`` on the same scenes with the sem codec at
   several budgets beside JPEG (the quality sweep, q=10 the reference) and
   the low-resolution baselines, CLIPSim under critic and judge.

Every study row also carries the world oracle (``semcodec.world.oracle``:
the coded prompt read back vs the true scene) for round 1 and the file, and
the study runs for each setup (``--setups``, a describer, a critic and a
loop each; see ``SETUPS``) at each of ``--study-budgets``.  ``reference`` is
the seed's loop, ``default`` the encoder's default loop; the judge is
world-judge throughout and is never used by the encoder.

Writes ``OUT/refinement.json``, ``OUT/refinement.md`` (all loops and
budgets, one summary table first) and ``OUT/rd/``.

    python tools/world_eval.py --n 50 --seed 8080 --out bench/results/world
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# name -> (describer, critic, loop: None = the encoder's default | "reference" | "mean", what it is)
SETUPS = {
    "interrogator": ("interrogator", "world-clip", "reference",
                     "the world's earlier settings: CLIP interrogator, world-clip, the seed's loop"),
    "interrogator-mean": ("interrogator", "world-clip", "mean", "the same with the mean loop"),
    "seer-clip": ("world-seer", "world-clip", "reference",
                  "the seeing describer with the bag-of-words critic world-clip in the seed's loop"),
    "reference": ("world-seer", "world-graph", "reference",
                  "the seeing describer and the binding critic in the seed's loop (--preset reference)"),
    "default": ("world-seer", "world-graph", None, "the seeing describer and the binding critic in the default loop"),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="held-out scenes")
    ap.add_argument("--out", default="bench/results/world")
    ap.add_argument("--scenes", default="out/world-scenes", help="where the scene images are written")
    ap.add_argument("--study-budgets", default="32,48,64", help="budgets of the refinement study (bytes)")
    ap.add_argument("--setups", default="interrogator,seer-clip,reference,default",
                    help="comma-separated names from SETUPS: " + "; ".join(f"{k}: {v[3]}" for k, v in SETUPS.items()))
    ap.add_argument("--seed", type=int, default=None,
                    help="scene stream (default: the data set's HELD_OUT_SEED 20240)")
    ap.add_argument("--budgets", default="32,40,48,64,96", help="budgets of the rate-fidelity curve")
    ap.add_argument("--skip-rd", action="store_true")
    a = ap.parse_args(argv)

    from semcodec.backends import load_critic, load_describer, load_generator
    from semcodec.bench.dataset import load_dataset
    from semcodec.registry import decoder_by_name
    from semcodec.world.dataset import write_dataset
    from semcodec.encoder import MEAN_LOOP, REFERENCE_LOOP
    from semcodec.bench.rd import load_truths
    from semcodec.world.dataset import HELD_OUT_SEED
    from semcodec.world.study import refinement_study, render_md, render_overview

    loops = {"reference": REFERENCE_LOOP, "mean": MEAN_LOOP, None: None}
    names = a.setups.split(",")
    unknown = [x for x in names if x not in SETUPS]
    if unknown:
        ap.error(f"unknown setup {unknown[0]!r}; choose from {', '.join(SETUPS)}")

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    seed = HELD_OUT_SEED if a.seed is None else a.seed
    write_dataset(a.scenes, a.n, seed=seed)
    images = load_dataset(a.scenes)
    truths = load_truths(a.scenes)
    judge = load_critic("world-judge", device="cpu")
    generator = load_generator(decoder_by_name("world-v1"))
    critics: dict = {}
    command = "python tools/world_eval.py " + " ".join(argv if argv is not None else sys.argv[1:])
    studies = []
    for name in names:
        d_name, c_name, loop, _ = SETUPS[name]
        if c_name not in critics:
            critics[c_name] = load_critic(c_name, device="cpu")
        critic = critics[c_name]
        describer = load_describer(d_name, critic=critic)
        for budget in (int(b) for b in a.study_budgets.split(",")):
            st = refinement_study(images, budget=budget, n=4, m=3, k=4, critic=critic, judge=judge,
                                  generator=generator, describer=describer, loop=loops[loop], truths=truths)
            st["loop_name"], st["scene_seed"] = name, seed
            studies.append(st)
            print(f"{name} budget {budget}: mean file {st['mean_file_bytes']:.1f} B, oracle F1 "
                  f"{st['oracle']['final']['mean']:.3f}", flush=True)
    (out / "refinement.json").write_text(json.dumps(studies, indent=1) + "\n")
    md = render_overview(studies, command) + "\n" + "\n".join(
        f"## setup {st['loop_name']}, budget {st['budget']}\n\n" + render_md(st, command) for st in studies)
    (out / "refinement.md").write_text(md)
    print(render_overview(studies, command))
    if not a.skip_rd:
        from semcodec.cli.bench_rd import main as rd_main

        d_name, c_name, _, _ = SETUPS["default"]

        rc = rd_main([a.scenes, "--codecs", "jpeg,lowres-png,lowres-webp,sem", "--decoder", "world-v1",
                      "--critic", c_name, "--judge", "world-judge", "--describer", d_name,
                      "--describer-model", c_name, "--budgets", a.budgets, "--device", "cpu",
                      "--out", str(out / "rd"), "--cache-dir", "out/world-rd-cache", "--quiet"])
        if rc != 0:
            return rc
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
