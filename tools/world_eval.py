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

Writes ``OUT/refinement.json``, ``OUT/refinement.md`` and ``OUT/rd/``.

    python tools/world_eval.py --n 50 --out bench/results/world
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="held-out scenes")
    ap.add_argument("--out", default="bench/results/world")
    ap.add_argument("--scenes", default="out/world-scenes", help="where the scene images are written")
    ap.add_argument("--budget", type=int, default=64, help="budget of the refinement study (bytes)")
    ap.add_argument("--budgets", default="32,40,48,64,96", help="budgets of the rate-fidelity curve")
    ap.add_argument("--skip-rd", action="store_true")
    a = ap.parse_args(argv)

    from semcodec.backends import load_critic, load_describer, load_generator
    from semcodec.bench.dataset import load_dataset
    from semcodec.registry import decoder_by_name
    from semcodec.world.dataset import write_dataset
    from semcodec.world.study import refinement_study, render_md

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    write_dataset(a.scenes, a.n)
    images = load_dataset(a.scenes)
    critic = load_critic("world-clip", device="cpu")
    judge = load_critic("world-judge", device="cpu")
    generator = load_generator(decoder_by_name("world-v1"))
    describer = load_describer("interrogator", critic=critic)
    command = "python tools/world_eval.py " + " ".join(argv if argv is not None else sys.argv[1:])
    study = refinement_study(images, budget=a.budget, n=4, m=3, k=4, critic=critic, judge=judge,
                             generator=generator, describer=describer)
    (out / "refinement.json").write_text(json.dumps(study, indent=1) + "\n")
    (out / "refinement.md").write_text(render_md(study, command))
    print(render_md(study, command))
    if not a.skip_rd:
        from semcodec.bench.rd import main as rd_main

        rc = rd_main([a.scenes, "--codecs", "jpeg,lowres-png,lowres-webp,sem", "--decoder", "world-v1",
                      "--critic", "world-clip", "--judge", "world-judge", "--describer", "interrogator",
                      "--describer-model", "world-clip", "--budgets", a.budgets, "--device", "cpu",
                      "--out", str(out / "rd"), "--cache-dir", "out/world-rd-cache", "--quiet"])
        if rc != 0:
            return rc
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
