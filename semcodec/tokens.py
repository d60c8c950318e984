"""Counting CLIP BPE tokens without torch (for `semenc --prompt`'s token-limit check).

The SD-family text encoders use CLIP's byte-level BPE (the same vocabulary and
rules as open_clip's ``SimpleTokenizer``; tests check the counts agree).  This
module reads the merges file open_clip ships, without importing open_clip
(whose import loads torch), so checking a prompt costs ~0.2 s, not ~5 s.
"""

from __future__ import annotations

import gzip
import html
import importlib.util
from functools import lru_cache
from pathlib import Path

BPE_FILE = "bpe_simple_vocab_16e6.txt.gz"
_N_MERGES = 49152 - 256 - 2


def _bytes_to_unicode() -> dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


@lru_cache(maxsize=1)
def _tables():
    """(merge ranks, byte encoder, regex pattern, ftfy.fix_text) or None if unavailable."""
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / BPE_FILE
    try:
        import ftfy
        import regex
    except ImportError:
        return None
    if not path.is_file():
        return None
    merges = gzip.open(path).read().decode("utf-8").split("\n")[1 : _N_MERGES + 1]
    ranks = {tuple(m.split()): i for i, m in enumerate(merges)}
    pat = regex.compile(
        r"""<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE
    )
    return ranks, _bytes_to_unicode(), pat, ftfy.fix_text


def _bpe_len(token: str, ranks: dict) -> int:
    word = tuple(token[:-1]) + (token[-1] + "</w>",)
    while len(word) > 1:
        pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
        best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        first, second = best
        out, i = [], 0
        while i < len(word):
            if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                out.append(first + second)
                i += 2
            else:
                out.append(word[i])
                i += 1
        word = tuple(out)
    return len(word)


def clip_token_count(text: str) -> int | None:
    """Tokens CLIP's tokenizer gives ``text``, BOS and EOS included; None if the
    tokenizer data is not installed (the 'local' extra)."""
    tables = _tables()
    if tables is None:
        return None
    ranks, byte_encoder, pat, fix_text = tables
    clean = " ".join(html.unescape(html.unescape(fix_text(text))).strip().split()).lower()
    n = 0
    for token in pat.findall(clean):
        n += _bpe_len("".join(byte_encoder[b] for b in token.encode("utf-8")), ranks)
    return n + 2
