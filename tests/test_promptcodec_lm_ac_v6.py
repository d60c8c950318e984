"""lm-ac-v6 (prompt codec ID 7): lm-ac-v5 with a word's case coded by the word's hint (the case file).

The tests this codec shares with lm-ac-v4 and lm-ac-v5 (round trips, damaged and
hostile payloads, the container, the pinned vectors) are in
test_promptcodec_lm_ac_v4_family.py. Here: the case file (pinned, rebuilt
byte for byte by its tool, hostile layouts refused), what the hints say, what
they buy, and the spec."""

from __future__ import annotations

import hashlib
import struct
import sys
import zlib
from pathlib import Path

import pytest

from semcodec.errors import MissingError
from semcodec.prompt import Prompt
from semcodec.promptcodec import case_model as C
from semcodec.promptcodec import lm_ac_v5, lm_ac_v6
from semcodec.promptcodec import lm_model as M
from semcodec.registry import prompt_codec_by_id, prompt_codec_by_name

from test_promptcodec_lm_ac_v3 import VECTORS as V3_VECTORS

ROOT = Path(__file__).resolve().parent.parent
SPEC = prompt_codec_by_name("lm-ac-v6")
DATA = ROOT / "semcodec" / "promptcodec" / "data"
sys.path.insert(0, str(ROOT / "tools"))

# Also in spec/promptcodec-lm-ac-v6.md section 4: lm-ac-v3's vector prompts under this codec.
VECTORS = [(p, h) for (p, _), h in zip(V3_VECTORS, ["0027d5", "01acc64f338e9868d4cd06", "75f5e5e73c2f3537b70bf0cc5a9ff7d235be97fe88d7ce49353d1256961f1cdf555f7a9338576620c4d7e554f9eff0521fff8ae616792baf9cd0", "1ba1fadb3ea52e9cc4e9d4f6ab7853bc14cea366bd9761a78a7ca2e2dd3a3e7ab8aba9749f66b51f371cddc48aa321db80f0dcce0e49d711a4060c38d7769d348461731aa8f40380feedbfbdae82bfb2f74b7ab12243ae42810400338853"])]


@pytest.fixture(scope="module")
def case():
    return lm_ac_v6._case()


@pytest.fixture(scope="module")
def base():
    return M.load_model(lm_ac_v6.COUNT_FILE)


def test_registry_entry() -> None:
    assert SPEC.id == 7 and SPEC.module == "lm_ac_v6"
    assert prompt_codec_by_id(7) is SPEC


def test_case_file_is_pinned_small_and_indexed_by_the_count_files_tokens(case, base) -> None:
    stored = (DATA / (C.CASE_FILE + M.PACKED_SUFFIX)).read_bytes()
    data = zlib.decompress(stored)
    assert M.model_bytes(C.CASE_FILE, packed=True) == data
    assert hashlib.sha256(data).hexdigest() == C.MODELS[C.CASE_FILE] == case.sha256
    assert len(stored) <= 64 * 1024  # 18.7 kB: a guard against growth by mistake
    assert len(case.hints) == len(base.vocab) and len(data) == 8 + len(base.vocab) + 8 * C.n_tables()
    assert len(case.hints) == base.unk and case.hints[0] == 0  # ids 0 (END) .. N: the count file's N + 1 = UNK
    assert lm_ac_v6.NET_FILES == lm_ac_v5.NET_FILES and lm_ac_v6.COUNT_FILE == lm_ac_v5.COUNT_FILE


def test_the_tool_rebuilds_the_case_file_byte_for_byte(base) -> None:
    import train_case_model as T

    from train_prompt_lm import V5_CORPORA, read_corpus

    data = T.build([(read_corpus(path), w) for path, w in V5_CORPORA], base.vocab)
    assert hashlib.sha256(data).hexdigest() == C.MODELS[C.CASE_FILE]


@pytest.mark.parametrize("word,hint", [(" tokyo", 2), (" london", 2), (" red", 1), (" the", 1), (" led", 3), (" rgb", 3), (" iphone", 4)])
def test_hints_say_how_the_training_text_writes_a_word(case, base, word, hint) -> None:
    assert case.hint(base.ids[word]) == hint


def test_a_word_without_a_token_has_hint_0_and_tables_are_proper(case, base) -> None:
    assert case.hint(None) == case.hint(base.unk) == case.hint(len(base.vocab) + 5) == 0
    assert case.hint(base.ids[" "]) == 0  # not a word
    for t in case.tables.values():
        assert t.syms == [0, 1, 2, 3] and min(t.freqs) >= 1 and t.total <= C.MAX_TABLE_TOTAL and t.esc == 0
    # the hint moves the probability: after a lowercase word in a scene, Title is likely for a Title word only
    title, lower = case.tables[(M.F_SCENE, 1, 2)], case.tables[(M.F_SCENE, 1, 1)]
    assert title.freqs[M.C_TITLE] / title.total > 0.9 > 0.01 > lower.freqs[M.C_TITLE] / lower.total


def test_proper_nouns_cost_less_than_in_lm_ac_v5() -> None:
    p = Prompt("a rainy street in Tokyo at night", ("a London bus", "a red LED sign"), "neon light from a Japanese shop", "photo")
    v5, v6 = lm_ac_v5.encode(p), lm_ac_v6.encode(p)
    assert lm_ac_v6.decode(v6) == p
    assert len(v6) < len(v5)


def _layout(hints: bytes, freqs=None, n=None, h=C.N_HINTS, tail=b"") -> bytes:
    freqs = freqs or [[1, 1, 1, 1]] * C.n_tables()
    return struct.pack("<II", len(hints) if n is None else n, h) + hints + b"".join(struct.pack("<4H", *f) for f in freqs) + tail


@pytest.mark.parametrize("data", [
    b"", b"\x03\x00\x00",
    _layout(b"\x00\x01\x02", n=4),  # the count says 4 hints
    _layout(b"\x00\x01\x02", h=7),  # another number of hint classes
    _layout(b"\x00\x01\x06"),  # a hint out of range
    _layout(b"\x00\x01\x02", tail=b"\x00"),  # a byte after the tables
    _layout(b"\x00\x01\x02")[:-1],  # truncated
    _layout(b"\x00\x01\x02", freqs=[[1, 0, 1, 1]] + [[1, 1, 1, 1]] * (C.n_tables() - 1)),  # a zero frequency
    _layout(b"\x00\x01\x02", freqs=[[65535, 2, 1, 1]] + [[1, 1, 1, 1]] * (C.n_tables() - 1)),  # total above 2**16
])
def test_bad_case_files_are_refused(data) -> None:
    with pytest.raises(M.ModelError, match="case file has a bad layout"):
        C.parse_case(data, 3)
    assert issubclass(M.ModelError, MissingError)  # a damaged installation: exit code 4


def test_a_good_layout_parses() -> None:
    m = C.parse_case(_layout(b"\x00\x01\x05"), 3)
    assert [m.hint(i) for i in range(3)] == [0, 1, 5] and len(m.tables) == C.n_tables()


def test_spec_carries_the_vectors_and_the_file_facts(base) -> None:
    spec = (ROOT / "spec" / "promptcodec-lm-ac-v6.md").read_text(encoding="utf-8")
    data = M.model_bytes(C.CASE_FILE, packed=True)
    assert C.MODELS[C.CASE_FILE] in spec and f"{len(data):,} bytes" in spec and f"{len(base.vocab):,}" in spec
    for _, hexbytes in VECTORS:
        assert hexbytes in spec
