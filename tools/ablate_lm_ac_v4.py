#!/usr/bin/env python3
"""What each change from lm-ac-v3 to lm-ac-v4 buys (spec/promptcodec-lm-ac-v4.md section 4).

    python tools/ablate_lm_ac_v4.py corpus/lm-dev-v4.jsonl       # the tuning set (995 prompts, about 6 minutes)
    python tools/ablate_lm_ac_v4.py semcodec/bench/data/heldout-prompts.jsonl

Codes every prompt of the file with the reference code at each intermediate
setting (lm-ac-v3; its procedure with lm-ac-v4's count file; with lm-ac-v4's
network as well; the weight by context; the cache; the zero tail, which is
lm-ac-v4) and prints the mean payload bytes and bits per character of
canonical text.  Real payload bytes, not estimates.
"""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import train_prompt_lm as T  # noqa: E402
from semcodec.promptcodec import lm_ac_v3 as V3, lm_ac_v4 as V4, lm_model as M, nn_model as N  # noqa: E402
from semcodec.promptcodec.lm_ac import encode_sequence  # noqa: E402


def variant(count: str, net: str, weights: bool, cache: bool, zero: bool):
    """An encoder: lm-ac-v3's procedure with these files, the weight table or 154, the cache or not, the zero tail or not."""
    ctx_base = V4._Context if cache else V3._Context
    class C(ctx_base):
        def weight(self, order, total):
            return V4.weight_of(order, total) if weights else 154
        if not cache:
            mixture = V3._Context.mixture
    class E(V3._NetEncoder):
        models = staticmethod(lambda: V3.load_models(count, net))
        context = C
        def finish(self):
            return self.rc.finish_zero_tail() if zero else self.rc.finish()
    return lambda p: encode_sequence(E(), p)

STEPS = [
    ("lm-ac-v3 as shipped", lambda p: V3.encode(p)),
    ("+ the v4 count file (v3 network, lambda 0.6)", variant(M.MODEL_FILE_V4, N.MODEL_FILE, False, False, False)),
    ("+ the v4 network", variant(M.MODEL_FILE_V4, V4.NET_FILE, False, False, False)),
    ("+ lambda by the chain's first table", variant(M.MODEL_FILE_V4, V4.NET_FILE, True, False, False)),
    ("+ the cache", variant(M.MODEL_FILE_V4, V4.NET_FILE, True, True, False)),
    ("+ the zero tail = lm-ac-v4", lambda p: V4.encode(p)),
]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    ps = T.read_prompts(Path(args[0]))
    chars = sum(len(p.text().encode("utf-8")) for p in ps)
    print(f"{len(ps)} prompts from {args[0]}, {chars} bytes of canonical text")
    print("| step | mean B | bits/char |")
    print("|---|---:|---:|")
    for name, enc in STEPS:
        t = time.time()
        b = sum(len(enc(p)) for p in ps)
        print(f"| {name} | {b / len(ps):.2f} | {8 * b / chars:.4f} |  ({time.time() - t:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
