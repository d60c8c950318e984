"""Held-out world scenes as image files with their true prompts.

``python -m semcodec.world.dataset OUT --n 50`` writes ``OUT/scene-000.png``
... (the world's native 128x128 renders) and ``OUT/prompts.jsonl`` (one line
per image: file, seed, the true prompt and its canonical text).  Scenes come
from a stream of their own (default seed 20240), whose texts never occur in
the tiny CLIPs' training data: :data:`HELD_OUT_SEED` differs from the
training seeds and every training scene is drawn afresh.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import atomic_write
from .grammar import WorldScene, random_scene
from .render import render_scene

HELD_OUT_SEED = 20240


@dataclass(frozen=True)
class WorldSample:
    name: str
    seed: int
    scene: WorldScene


def sample_scenes(n: int, *, seed: int = HELD_OUT_SEED) -> list[WorldSample]:
    """``n`` distinct scenes with their render seeds (deterministic given ``seed``)."""
    rng = np.random.default_rng(seed)
    out: list[WorldSample] = []
    seen: set[str] = set()
    while len(out) < n:
        s = random_scene(rng)
        render_seed = int(rng.integers(1000, 2**31))
        if s.text() in seen:
            continue
        seen.add(s.text())
        out.append(WorldSample(name=f"scene-{len(out):03d}.png", seed=render_seed, scene=s))
    return out


def write_dataset(out_dir: str | Path, n: int, *, seed: int = HELD_OUT_SEED) -> list[WorldSample]:
    """Write ``n`` scenes as PNG files plus ``prompts.jsonl`` into ``out_dir``."""
    import io

    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    samples = sample_scenes(n, seed=seed)
    lines = []
    for s in samples:
        buf = io.BytesIO()
        render_scene(s.scene, s.seed).save(buf, format="PNG")
        atomic_write(root / s.name, buf.getvalue())
        lines.append(json.dumps({"file": s.name, "seed": s.seed, "prompt": s.scene.to_prompt().to_dict(),
                                 "text": s.scene.text()}, ensure_ascii=False))
    atomic_write(root / "prompts.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    return samples


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m semcodec.world.dataset",
                                 description="Write N held-out synthetic-world scenes (PNG) and prompts.jsonl.")
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    a = ap.parse_args(argv)
    if a.n < 1:
        print("--n must be >= 1", file=sys.stderr)
        return 2
    write_dataset(a.out, a.n, seed=a.seed)
    print(f"{a.n} scenes written to {a.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
