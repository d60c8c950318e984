#!/usr/bin/env python3
"""Checks behind the ``lm-ac`` rate figures that ``sembench rate`` does not print.

    python tools/eval_prompt_lm.py overlap
        How many of the held-out prompts' k-token sequences (k = 4, 5, 6; within
        one field, ignoring case) occur in each training corpus, and how many
        corpus prompts share a 5- or 6-token sequence with a held-out prompt.
        Needs only semcodec.

    python tools/eval_prompt_lm.py lopo --wordfreq-tsv FILE
        Leave-one-part-out for lm-ac-v2: for each of the 28 parts of
        corpus/lm-extra-v2.jsonl (corpus/lm-extra-v2.parts.json), build the
        lm-ac-v2 model without that part and code the part; prints bits per
        character of payload per part and over all parts.  Builds 28 models
        (about 10 s each) with tools/train_prompt_lm.py, so it needs the same
        wordfreq table (see that script).

The held-out prompts are only read here, never trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import train_prompt_lm as T  # noqa: E402  (its corpus reader; wordfreq is imported only for builds)
from semcodec.prompt import Prompt  # noqa: E402
from semcodec.promptcodec import lm_model as M  # noqa: E402

HELDOUT = ROOT / "semcodec" / "bench" / "data" / "heldout-prompts.jsonl"
CORPORA = ("train-v1", "lm-extra-v1", "lm-extra-v2")


def grams(p: Prompt, n: int) -> set[tuple[str, ...]]:
    """n-token sequences of each field (lm-ac tokens, lower case, spaces dropped)."""
    return M.field_ngrams(p.parts(), n)


def overlap() -> None:
    held = T.read_prompts(HELDOUT)
    print(f"{len(held)} held-out prompts")
    print(f"{'corpus':<14}{'prompts':>8}  " + "  ".join(f"{k}-grams seen" for k in (4, 5, 6)) + "  prompts sharing a 5-/6-gram")
    for name in CORPORA:
        corpus = T.read_prompts(ROOT / "corpus" / f"{name}.jsonl")
        cells = []
        for k in (4, 5, 6):
            seen = set().union(*(grams(p, k) for p in corpus))
            hg = [g for p in held for g in grams(p, k)]
            hit = sum(g in seen for g in hg)
            cells.append(f"{hit:>4}/{len(hg):<4} {100 * hit / len(hg):5.1f}%")
        shared = []
        for k in (5, 6):
            hk = set().union(*(grams(p, k) for p in held))
            shared.append(sum(1 for p in corpus if grams(p, k) & hk))
        print(f"{name:<14}{len(corpus):>8}  " + "  ".join(cells) + f"  {shared[0]} / {shared[1]}")


def lopo(wordfreq_tsv: Path) -> None:
    from semcodec.promptcodec import lm_ac

    name, params = T.MODELS["lm-ac-v2"]
    wf = T.wordfreq_table(wordfreq_tsv)
    index = json.loads((ROOT / "corpus" / "lm-extra-v2.parts.json").read_text(encoding="utf-8"))
    v2 = T.read_prompts(ROOT / "corpus" / "lm-extra-v2.jsonl")
    fixed = [(T.read_prompts(ROOT / path), w) for path, w in params.corpora if not path.endswith("lm-extra-v2.jsonl")]
    weight = dict(params.corpora)["corpus/lm-extra-v2.jsonl"]
    bits = chars = 0
    for part in index["parts"]:
        a = part["first_line"] - 1
        b = a + part["lines"]
        test, rest = v2[a:b], v2[:a] + v2[b:]
        model = M.parse_model(T.build([*fixed, (rest, weight)], wf, params))
        pb = 8 * sum(len(lm_ac.encode_with(model, p)) for p in test)
        pc = sum(len(p.text().encode("utf-8")) for p in test)
        bits, chars = bits + pb, chars + pc
        print(f"part {part['part']:>2}: {len(test):>4} prompts, {pb / pc:.3f} bits/char", flush=True)
    print(f"all parts, each coded by a model that never saw it: {bits / chars:.3f} bits/char of payload")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("overlap")
    lp = sub.add_parser("lopo")
    lp.add_argument("--wordfreq-tsv", type=Path, help="word<TAB>frequency lines (default: the wordfreq package)")
    args = ap.parse_args(argv)
    if args.cmd == "overlap":
        overlap()
    else:
        lopo(args.wordfreq_tsv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
