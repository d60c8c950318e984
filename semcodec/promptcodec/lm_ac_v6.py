"""``lm-ac-v6`` (prompt codec ID 7): ``lm-ac-v5`` with a word's case coded by what the word is.

Spec: spec/promptcodec-lm-ac-v6.md.  One change from ``lm-ac-v5``, whose three
files, symbol sequence, mixed table, cache and zero-tail termination it keeps:
a word's case class is coded in a table chosen by the field, the previous
word's case *and the word's hint* (how it was written in the training text:
``Tokyo``, ``LED``, ``red``), from a fourth file, ``lm-ac-v6-case.bin``
(:mod:`.case_model`).  In ``lm-ac-v5`` a proper noun in a scene cost about
4.7 bits of case; here about 0.1.
"""

from __future__ import annotations

from functools import lru_cache

from ..prompt import Prompt
from . import case_model as C
from . import lm_ac_v3 as V3
from . import lm_ac_v5 as V5
from . import lm_model as M
from .lm_ac import encode_sequence

CASE_FILE = C.CASE_FILE
# lm-ac-v5's files and mixed table, unchanged (named here for the tools and tests of the lm-ac-v4 family)
NET_FILES, COUNT_FILE = V5.NET_FILES, V5.COUNT_FILE
WEIGHTS, N_BUCKETS, CACHE_WEIGHT = V5.WEIGHTS, V5.N_BUCKETS, V5.CACHE_WEIGHT
weight_of = V5.weight_of
_models = V5._models
_Context = V5._Context


@lru_cache(maxsize=None)
def _case() -> C.CaseModel:
    return C.load_case(CASE_FILE, len(M.load_model(COUNT_FILE).vocab))


class _CaseByWord:
    """The case table of (field, previous case, the word's hint): the hook of lm_ac's ``case``."""

    def case_table(self, f: int, prevcase: int, tok: str) -> M.Table:
        return _case().table(f, prevcase, self.m.ids.get(tok.lower()))  # the word's key (spec section 2)


class _NetEncoder(_CaseByWord, V5._NetEncoder):
    pass


class _NetDecoder(_CaseByWord, V5._NetDecoder):
    pass


def encode(prompt: Prompt) -> bytes:
    return encode_sequence(_NetEncoder(), prompt)


def decode(payload: bytes) -> Prompt:
    return V3.decode_with(_NetEncoder, _NetDecoder, payload)
