#!/usr/bin/env python3
"""Where an lm-ac prompt codec's bits go: ideal bits of each part of the coded symbol sequence.

    python tools/bits_by_part.py [--codec lm-ac-v6] [--prompts FILE.jsonl]

For each prompt (default: the held-out set, semcodec/bench/data/heldout-prompts.jsonl)
it encodes the prompt with the codec's own encoder, with the range coder
wrapped so that every coded item's ideal cost, -log2(freq / total), is
added to the part of the sequence that coded it:

* ``tokens``    the token of each field position (lm-ac-v1/v2: the order-2/1/0/general
                walk; lm-ac-v3 and later: the mixed table of the network symbols, END included);
* ``fallback``  lm-ac-v3 and later: an OTHER token's id (or escape) in the fallback table;
* ``spelling``  a token without an id, spelled (kind, letters, digits, characters);
* ``case``      a word's case class and its mixed-case letter items;
* ``flags``     "another object" and "style present";
* ``tail``      the payload's bytes minus the ideal bits above (the range coder's termination
                and rounding; a payload can also end below its ideal bits, where the zero tail
                of lm-ac-v4 and later lets the decoder read zeros past its end).

The parts add up to the payload bytes exactly; bits per character are
``bits / total UTF-8 bytes of canonical text``, as ``sembench rate``.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from semcodec.bench.rate import load_prompts  # noqa: E402
from semcodec.promptcodec.lm_ac import encode_sequence  # noqa: E402
from semcodec.registry import PROMPT_CODECS, prompt_codec_by_name  # noqa: E402

PARTS = ("tokens", "fallback", "spelling", "case", "flags", "tail")
# encoder method -> the part it codes (the innermost one wins: spelling inside a token walk is spelling)
METHODS = {"token": "tokens", "net_sym": "tokens", "spell": "spelling", "case": "case", "flag": "flags"}


def encoder_class(codec: str):
    """The codec's encoder class and its arguments: ``_NetEncoder`` (lm-ac-v3 and later), or
    lm-ac-v1's ``_Encoder`` with the model file of v1 or v2."""
    from semcodec.promptcodec import lm_ac
    from semcodec.promptcodec import lm_model as M

    spec = prompt_codec_by_name(codec)
    count_only = {"lm_ac": M.MODEL_FILE, "lm_ac_v2": M.MODEL_FILE_V2}
    if spec.module in count_only:
        return lm_ac._Encoder, (M.load_model(count_only[spec.module]),)
    mod = importlib.import_module(f"semcodec.promptcodec.{spec.module}")
    if not hasattr(mod, "_NetEncoder"):
        raise SystemExit(f"bits_by_part: {codec} is not an lm-ac codec")
    return mod._NetEncoder, ()


class _Meter:
    """Stands in for the encoder's range coder: adds each item's ideal bits to the current part."""

    def __init__(self, rc, bits: dict, stack: list) -> None:
        self._rc, self._bits, self._stack = rc, bits, stack

    def encode(self, cum: int, freq: int, total: int) -> None:
        self._bits[self._stack[-1]] -= math.log2(freq / total)
        self._rc.encode(cum, freq, total)

    def __getattr__(self, name):
        return getattr(self._rc, name)


def metered(cls, bits: dict):
    """A subclass of encoder ``cls`` whose coded items are counted by part into ``bits``."""
    stack = ["other"]

    def wrap(name: str, part):
        """``cls.name`` with its items counted to ``part``: a name, or a function of the call giving one."""
        inner = getattr(cls, name)

        def method(self, *args):
            stack.append(part(self, *args) if callable(part) else part)
            try:
                return inner(self, *args)
            finally:
                stack.pop()
        return method

    def table_part(self, table, *_):
        """Inside a named part, that part; outside, lm-ac-v3's fallback table (its id or escape) is "fallback"."""
        return "fallback" if stack[-1] == "other" and table is getattr(self, "fallback", None) else stack[-1]

    def init(self, *args):
        cls.__init__(self, *args)
        self.rc = _Meter(self.rc, bits, stack)

    body = {name: wrap(name, part) for name, part in METHODS.items() if hasattr(cls, name)}
    body.update(sym=wrap("sym", table_part), esc=wrap("esc", table_part), __init__=init)
    return type("Metered" + cls.__name__, (cls,), body)


def measure(codec: str, prompts) -> tuple[dict[str, float], int, int]:
    """(bits by part, payload bytes, canonical-text bytes) over ``prompts``."""
    cls, args = encoder_class(codec)
    bits: dict[str, float] = defaultdict(float)
    enc = metered(cls, bits)
    total = nchar = 0
    for p in prompts:
        payload = encode_sequence(enc(*args), p)
        total += len(payload)
        nchar += len(p.text().encode())
    if bits.get("other"):
        raise AssertionError(f"bits outside every part: {bits['other']}")  # pragma: no cover - a new coder path
    bits["tail"] = 8 * total - sum(bits.values())
    return dict(bits), total, nchar


def main(argv: list[str] | None = None) -> int:
    lm = [c.name for c in PROMPT_CODECS if c.name.startswith("lm-ac")]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codec", choices=lm, default=lm[-1])
    ap.add_argument("--prompts", type=Path, help="a JSONL prompt corpus (default: the held-out prompts)")
    args = ap.parse_args(argv)
    prompts, source = load_prompts(None if args.prompts is None else str(args.prompts))
    bits, total, nchar = measure(args.codec, prompts)
    print(f"{len(prompts)} prompts from {source}; codec {args.codec}; {total} payload bytes, {nchar} bytes of canonical text")
    print(f"{'part':<10} {'bits':>10} {'bits/char':>10}")
    for part in PARTS:
        print(f"{part:<10} {bits.get(part, 0.0):>10.1f} {bits.get(part, 0.0) / nchar:>10.4f}")
    print(f"{'payload':<10} {8 * total:>10.1f} {8 * total / nchar:>10.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
