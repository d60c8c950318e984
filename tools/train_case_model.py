#!/usr/bin/env python3
"""Build lm-ac-v6's case file (semcodec/promptcodec/data/lm-ac-v6-case.bin.zlib): word case hints and case tables.

    python tools/train_case_model.py             # into the package (pin the printed SHA-256 in case_model.MODELS)
    python tools/train_case_model.py --out F     # the uncompressed file elsewhere
    python tools/train_case_model.py --report    # also: ideal case bits on the tuning set and the held-out prompts

Inputs: lm-ac-v5's corpora and weights (train_prompt_lm.V5_CORPORA: every
written prompt but the tuning set DEV_V5, and the template corpus at 0.1), and
the vocabulary of lm-ac-v5's count file, whose token ids the hints are indexed
by.  Never the held-out prompts in semcodec/bench/data/ (``--report`` only
measures on them).

A word's *hint* sums the weights of its occurrences in that text by case class
(lower, Title, UPPER, mixed): 0 if it never occurs as a word, 1 if at least 90 %
are lowercase, else 2, 3 or 4 if one of Title, UPPER, mixed has at least half,
else 5.  The table of (field, previous case, hint) counts the case classes of
the words met in that context (plus 0.5 each), where a word's hint is computed
*without the occurrence being counted* (leave-one-out), so that words seen once
train the tables as the unseen words of new text behave; the counts are scaled
to a total of at most 2**16, each at least 1.  Pure Python, deterministic.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import zlib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from semcodec.promptcodec import case_model as C  # noqa: E402
from semcodec.promptcodec import lm_model as M  # noqa: E402
from train_prompt_lm import DEV_V5, V5_CORPORA, corpus_file, keyed, prompt_fields, read_corpus, read_parts, read_prompts  # noqa: E402

HELDOUT = ROOT / "semcodec" / "bench" / "data" / "heldout-prompts.jsonl"
SCALE = C.MAX_TABLE_TOTAL - C.N_CLASSES  # room for the +1 floor of each class


def words(prompt):
    """(field, previous case, key, case class) of each word token, as the codec meets them."""
    for f, text in prompt_fields(prompt):
        prevcase = 0
        for key, tok in keyed(text):
            if tok and M.is_word(tok):
                cls = M.case_class(tok.lstrip(" "))
                yield f, prevcase, key, cls
                prevcase = cls + 1


def hint_of(counts) -> int:
    n = sum(counts)
    if n <= 1e-9:
        return 0
    if counts[M.C_LOWER] >= 0.9 * n:
        return 1
    for h, cls in ((2, M.C_TITLE), (3, M.C_UPPER), (4, M.C_MIXED)):
        if counts[cls] >= 0.5 * n:
            return h
    return 5


def build(corpora, vocab: list[str]) -> bytes:
    ids = {k: i for i, k in enumerate(vocab)}
    by_key: dict[str, list[float]] = defaultdict(lambda: [0.0] * C.N_CLASSES)
    for prompts, w in corpora:
        for p in prompts:
            for _, _, key, cls in words(p):
                by_key[key][cls] += w
    hints = bytearray(len(vocab))
    for key, counts in by_key.items():
        if key in ids:
            hints[ids[key]] = hint_of(counts)
    tables = defaultdict(lambda: [0.5] * C.N_CLASSES)
    for prompts, w in corpora:
        for p in prompts:
            for f, prevcase, key, cls in words(p):
                own = list(by_key[key])
                own[cls] -= w
                h = hint_of(own) if key in ids else 0
                tables[(f, prevcase, h)][cls] += w
    freqs = []
    for f in range(M.N_FIELDS):
        for prevcase in range(C.N_PREVCASE):
            for h in range(C.N_HINTS):
                c = tables[(f, prevcase, h)]
                freqs.append([1 + math.floor(x * SCALE / sum(c)) for x in c])
    return C.dump_case(bytes(hints), freqs)


def case_bits(prompts, table) -> float:
    """Ideal bits of the prompts' case classes under ``table(f, prevcase, key)``."""
    bits = 0.0
    for p in prompts:
        for f, prevcase, key, cls in words(p):
            t = table(f, prevcase, key)
            bits -= math.log2(t.freqs[t.index[cls]] / t.total)
    return bits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write the uncompressed file here (default: into the package, zlib-compressed)")
    ap.add_argument("--report", action="store_true", help="compare with lm-ac-v5's case tables on the tuning set and held-out prompts")
    args = ap.parse_args(argv)
    for path, _ in V5_CORPORA:
        print(f"{path}: sha256 {hashlib.sha256((ROOT / corpus_file(path)).read_bytes()).hexdigest()}")
    base = M.load_model(M.MODEL_FILE_V5)
    data = build([(read_corpus(path), w) for path, w in V5_CORPORA], base.vocab)
    print(f"case file: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    if args.out:
        args.out.write_bytes(data)
        print(f"wrote {args.out}")
    else:
        out = ROOT / "semcodec" / "promptcodec" / "data" / (C.CASE_FILE + M.PACKED_SUFFIX)
        out.write_bytes(zlib.compress(data, 9))
        print(f"wrote {out}; pin the sha256 in case_model.MODELS")
    if args.report:
        model = C.parse_case(data, len(base.vocab))
        for name, prompts in (("tuning set", read_parts(*DEV_V5)), ("held-out", read_prompts(HELDOUT))):
            nchar = sum(len(p.text().encode()) for p in prompts)
            old = case_bits(prompts, lambda f, pc, key: base.groups[M.G_CASE].get((f, pc, 0)))
            new = case_bits(prompts, lambda f, pc, key: model.table(f, pc, base.ids.get(key)))
            print(f"{name}: {len(prompts)} prompts, case bits {old:.0f} -> {new:.0f} ({(new - old) / nchar:+.4f} bits/char)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
