"""lm-ac-v2 (prompt codec ID 3): the lm-ac-v1 procedure (tested in depth in
test_promptcodec_lm_ac.py) with its own pinned model file, vectors and corpus."""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

import pytest

from semcodec.container import SemFile, decode as decode_file
from semcodec.errors import MissingError
from semcodec.prompt import Prompt
from semcodec.promptcodec import lm_ac, lm_ac_v2
from semcodec.promptcodec import lm_model as M
from semcodec.registry import prompt_codec_by_id, prompt_codec_by_name

from test_promptcodec_lm_ac import VECTORS as V1_VECTORS, assert_not_interchangeable, corpus_prompts

ROOT = Path(__file__).resolve().parent.parent
SPEC = prompt_codec_by_name("lm-ac-v2")

# Also in spec/promptcodec-lm-ac-v2.md section 4: the lm-ac-v1 vector prompts under the v2 model.
VECTORS = [(p, h) for (p, _), h in zip(V1_VECTORS, ["15aeab", "0bf9f913b4e4504b5e024045", "326d8e57105aa8ebe66ecae70af9b001c9fd2b55aed2161983e25d703ae3c04564b0ddea66c26c5eef38ef18ab3207763bb11fa046b74d1f90ff9093b1873e"])]


@pytest.fixture(scope="module")
def model() -> M.Model:
    return M.load_model(M.MODEL_FILE_V2)


def test_registry_entry() -> None:
    assert SPEC.id == 3 and SPEC.module == "lm_ac_v2"
    assert prompt_codec_by_id(3) is SPEC


def test_model_file_is_pinned_small_and_distinct(model) -> None:
    data = M.model_bytes(M.MODEL_FILE_V2)
    stored = (ROOT / "semcodec" / "promptcodec" / "data" / (M.MODEL_FILE_V2 + M.PACKED_SUFFIX)).read_bytes()
    assert M.MODEL_FILE_V2 in M.PACKED and len(stored) <= 4 * 1024 * 1024  # the budget is on what ships
    assert M.unpack(stored) == data and len(data) <= M.MAX_MODEL_BYTES
    pinned = M.MODELS[M.MODEL_FILE_V2]
    assert pinned is not None and hashlib.sha256(data).hexdigest() == pinned == model.sha256
    assert pinned != M.MODELS[M.MODEL_FILE]
    # a damaged model file (SHA-256 mismatch): test_promptcodec_lm_ac.py, for both models


def test_a_damaged_or_oversized_packed_file_is_refused(monkeypatch) -> None:
    good = zlib.compress(b"x" * 1000)
    assert M.unpack(good) == b"x" * 1000
    for bad in (b"", good[:-3], good + b"\x00", b"not zlib at all", good[:10] + bytes([good[10] ^ 0xFF]) + good[11:]):
        with pytest.raises(MissingError, match="damaged"):
            M.unpack(bad)
    monkeypatch.setattr(M, "MAX_MODEL_BYTES", 999)  # a bomb stops at the bound
    with pytest.raises(MissingError, match="damaged"):
        M.unpack(good)


def test_unknown_model_file_is_refused() -> None:
    with pytest.raises(MissingError, match="unknown prompt model"):
        M.load_model("lm-ac-v9.bin")


def test_a_missing_packed_file_says_reinstall(monkeypatch) -> None:
    monkeypatch.setattr(M, "PACKED_SUFFIX", ".gone")
    M.load_model.cache_clear()
    try:
        with pytest.raises(MissingError, match=r"lm-ac-v2\.bin\.gone is missing .*reinstall semcodec"):
            lm_ac_v2.decode(b"\x00")
    finally:
        monkeypatch.undo()
        M.load_model.cache_clear()


def test_each_model_is_parsed_once() -> None:
    assert M.load_model(M.MODEL_FILE) is M.load_model(M.MODEL_FILE)
    assert M.load_model(M.MODEL_FILE_V2) is M.load_model(M.MODEL_FILE_V2) is not M.load_model(M.MODEL_FILE)


@pytest.mark.parametrize("name", ["corpus/lm-extra-v1.jsonl", "corpus/lm-extra-v2.jsonl", "semcodec/bench/data/heldout-prompts.jsonl"])
def test_round_trip_corpus_samples(model, name) -> None:
    for p in corpus_prompts(ROOT / name, 120):
        payload = lm_ac.encode_with(model, p)
        assert lm_ac.decode_with(model, payload) == p


# The lossless property test (hypothesis) and the hostile-payload tests run
# for both models in test_promptcodec_lm_ac.py.


def test_v1_and_v2_payloads_are_not_interchangeable() -> None:
    assert_not_interchangeable(VECTORS[1][0], "lm-ac-v1", "lm-ac-v2")  # read with the other model: refused or means something else


def test_whole_file_round_trip_through_the_container() -> None:
    p = VECTORS[1][0]
    data = SemFile.create(p, prompt_codec="lm-ac-v2", seed=7).to_bytes()
    sem = decode_file(data)
    assert sem.prompt == p and sem.prompt_codec.id == 3


@pytest.mark.parametrize("prompt,hexbytes", VECTORS)
def test_pinned_vectors(model, prompt, hexbytes) -> None:
    assert lm_ac.encode_with(model, prompt).hex() == hexbytes
    assert lm_ac.decode_with(model, bytes.fromhex(hexbytes)) == prompt


def test_spec_carries_the_vectors_and_the_model_facts(model) -> None:
    spec = (ROOT / "spec" / "promptcodec-lm-ac-v2.md").read_text(encoding="utf-8")
    assert M.MODELS[M.MODEL_FILE_V2] in spec
    stored = ROOT / "semcodec" / "promptcodec" / "data" / (M.MODEL_FILE_V2 + M.PACKED_SUFFIX)
    assert f"{len(M.model_bytes(M.MODEL_FILE_V2)):,} bytes" in spec
    assert f"{stored.stat().st_size:,} bytes" in spec
    assert f"vocabulary size N is {len(model.vocab) - 1:,}" in spec
    for _, hexbytes in VECTORS:
        assert hexbytes in spec


def _texts(path: Path) -> list[Prompt]:
    return [Prompt.from_dict(json.loads(ln)) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def test_training_corpora_are_valid_distinct_and_disjoint_from_the_held_out_prompts() -> None:
    """The held-out figure is honest only if no held-out prompt (or scene) was trained on."""
    held = _texts(ROOT / "semcodec" / "bench" / "data" / "heldout-prompts.jsonl")
    seen: set[str] = set()
    scenes: set[str] = set()
    for name in ("corpus/train-v1.jsonl", "corpus/lm-extra-v1.jsonl", "corpus/lm-extra-v2.jsonl", "corpus/lm-extra-v3.jsonl"):
        for p in _texts(ROOT / name):
            assert p.text() not in seen, (name, p.text())
            seen.add(p.text())
            scenes.add(p.scene.lower())
    for p in held:
        assert p.text() not in seen
        assert p.scene.lower() not in scenes
    # lm-extra-v2 and v3 were decontaminated: no 6-token sequence (within a field, ignoring case) of a held-out prompt
    held6 = set().union(*(_grams(p, 6) for p in held))
    for name in ("lm-extra-v2.jsonl", "lm-extra-v3.jsonl"):
        shared = [p.text() for p in _texts(ROOT / "corpus" / name) if _grams(p, 6) & held6]
        assert shared == []


def test_field_ngrams_stay_inside_fields_and_ignore_case() -> None:
    assert M.field_ngrams(["A red-barn", "RED barn, x"], 2) == {
        ("a", "red"), ("red", "-"), ("-", "barn"), ("red", "barn"), ("barn", ","), (",", "x")}
    assert M.field_ngrams(["a b", ""], 3) == set()


def _grams(p: Prompt, n: int) -> set[tuple[str, ...]]:
    return M.field_ngrams(p.parts(), n)
