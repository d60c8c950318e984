"""The case file of ``lm-ac-v6``: each word's case hint and the case tables by hint (spec/promptcodec-lm-ac-v6.md section 1).

A word's case class (lower, Title, UPPER, mIxed) is coded in a table chosen by
the field, the previous word's case and the word's *hint*: a small class,
stored per token id of the count file (END included, so one more than its N),
of how that word was written in the training text (0: never seen as a word;
1: at least 90 % lowercase; else 2, 3, 4: the first of Title, UPPER, mixed
with at least half; else 5).  The file is integers only; it is built by
``tools/train_case_model.py``.
"""

from __future__ import annotations

import struct
from functools import lru_cache

from . import lm_model as M

CASE_FILE = "lm-ac-v6-case.bin"  # codec ID 7, stored zlib-compressed as CASE_FILE + ".zlib"
MODELS = {CASE_FILE: "e6ae00de6f0ba12d127c5d5b8c08d308c098ec8f37f340df2ed8ed97e752bdd1"}
N_HINTS = 6  # hint classes
N_PREVCASE = 5  # 0 the field's first word, else the previous word's case class + 1
N_CLASSES = 4  # M.C_LOWER, C_TITLE, C_UPPER, C_MIXED
MAX_TABLE_TOTAL = 1 << 16
_HEADER = struct.Struct("<II")  # N (hints), H (hint classes)


class CaseModel:
    """``hints[i]``: the hint of count-file token ``i``; ``tables[(f, prevcase, h)]``: a 4-symbol table."""

    def __init__(self, hints: bytes, tables: dict[tuple[int, int, int], M.Table], sha256: str) -> None:
        self.hints, self.tables, self.sha256 = hints, tables, sha256

    def hint(self, tid: int | None) -> int:
        return self.hints[tid] if tid is not None and 0 <= tid < len(self.hints) else 0

    def table(self, f: int, prevcase: int, tid: int | None) -> M.Table:
        return self.tables[(f, prevcase, self.hint(tid))]


def n_tables() -> int:
    return M.N_FIELDS * N_PREVCASE * N_HINTS


def dump_case(hints: bytes, freqs: list[list[int]]) -> bytes:
    """The file: header, one hint byte per token, then each table's four u16 frequencies
    (tables in the order field, previous case, hint)."""
    assert len(freqs) == n_tables() and all(len(f) == N_CLASSES for f in freqs)
    return _HEADER.pack(len(hints), N_HINTS) + bytes(hints) + b"".join(struct.pack("<4H", *f) for f in freqs)


def parse_case(data: bytes, n_tokens: int, sha256: str = "") -> CaseModel:
    """Parse and check a case file for a count file of ``n_tokens`` token ids (its N + 1: END and ids 1..N;
    :class:`ModelError` if it is bad)."""
    if len(data) < _HEADER.size:
        raise M.ModelError("case file has a bad layout")
    n, h = _HEADER.unpack_from(data)
    end = _HEADER.size + n + 8 * n_tables()
    if n != n_tokens or h != N_HINTS or len(data) != end:
        raise M.ModelError("case file has a bad layout")
    hints = data[_HEADER.size : _HEADER.size + n]
    if max(hints, default=0) >= N_HINTS:
        raise M.ModelError("case file has a bad layout")
    tables = {}
    pos = _HEADER.size + n
    for f in range(M.N_FIELDS):
        for prevcase in range(N_PREVCASE):
            for hint in range(N_HINTS):
                freqs = list(struct.unpack_from("<4H", data, pos))
                pos += 8
                if min(freqs) < 1 or sum(freqs) > MAX_TABLE_TOTAL:
                    raise M.ModelError("case file has a bad layout")
                tables[(f, prevcase, hint)] = M.Table(list(range(N_CLASSES)), freqs, 0)
    return CaseModel(hints, tables, sha256)


@lru_cache(maxsize=None)
def load_case(name: str, n_tokens: int) -> CaseModel:
    """The shipped case file, checked against its pinned SHA-256; parsed once."""
    data, sha = M.check_pinned(name, MODELS, lambda n: M.model_bytes(n, packed=True))
    return parse_case(data, n_tokens, sha)
