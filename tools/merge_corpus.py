#!/usr/bin/env python3
"""Concatenate agent-written corpus parts into one frozen corpus file, deduplicated and decontaminated.

    python tools/merge_corpus.py OUT.jsonl PART.jsonl... [--against corpus/lm-extra-v2.jsonl ...]

In part order: a line is dropped if it repeats an earlier line or a line of an
``--against`` corpus (same prompt), if its scene equals a held-out scene
(ignoring case), or if it shares a 6-token sequence (within one field, ignoring
case) with a held-out prompt (semcodec/bench/data/heldout-prompts.jsonl).  Prints
the counts and each part's first line and length (for the corpus's parts.json).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from semcodec.promptcodec import lm_model as M  # noqa: E402
from train_prompt_lm import read_prompts  # noqa: E402

HELDOUT = ROOT / "semcodec" / "bench" / "data" / "heldout-prompts.jsonl"
NGRAM = 6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("parts", type=Path, nargs="+")
    ap.add_argument("--against", type=Path, action="append", default=[])
    args = ap.parse_args(argv)
    held = read_prompts(HELDOUT)
    held_scenes = {p.scene.lower() for p in held}
    held_grams = set().union(*(M.field_ngrams(p.parts(), NGRAM) for p in held))
    seen = {p.to_dict().__repr__() for path in args.against for p in read_prompts(path)}
    out, parts = [], []
    dropped = {"duplicate": 0, "held-out scene": 0, "held-out 6-token sequence": 0}
    for path in args.parts:
        first = len(out) + 1
        for p in read_prompts(path):
            key = p.to_dict().__repr__()
            if key in seen:
                dropped["duplicate"] += 1
            elif p.scene.lower() in held_scenes:
                dropped["held-out scene"] += 1
            elif M.field_ngrams(p.parts(), NGRAM) & held_grams:
                dropped["held-out 6-token sequence"] += 1
            else:
                seen.add(key)
                d = p.to_dict()
                if d.get("style") is None:
                    d.pop("style", None)
                out.append(json.dumps(d, ensure_ascii=False))
        parts.append({"part": path.stem.removeprefix("part-"), "first_line": first, "lines": len(out) - first + 1})
    data = "".join(line + "\n" for line in out).encode("utf-8")
    args.out.write_bytes(data)
    print(json.dumps({"file": args.out.name, "prompts": len(out), "dropped": dropped, "parts": parts,
                      "sha256": hashlib.sha256(data).hexdigest()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
