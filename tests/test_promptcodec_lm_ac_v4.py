"""lm-ac-v4 (prompt codec ID 5): lm-ac-v3's procedure with new models, a weight by context and a zero tail.

The network format and forward pass are lm-ac-v3's (test_promptcodec_lm_ac_v3.py),
the range coder's termination is tested against an exact reference in
test_promptcodec_lm_ac.py, and the tests lm-ac-v5 shares with this codec (the
chain, the weight table, round trips, damaged and hostile payloads, the pinned
vectors) are in test_promptcodec_lm_ac_v4_family.py; here: the files, the
vectors and the spec."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import pytest

from semcodec.promptcodec import lm_ac_v4
from semcodec.promptcodec import lm_model as M
from semcodec.promptcodec import nn_model as N
from semcodec.registry import prompt_codec_by_id, prompt_codec_by_name

from test_promptcodec_lm_ac_v3 import VECTORS as V3_VECTORS

ROOT = Path(__file__).resolve().parent.parent
SPEC = prompt_codec_by_name("lm-ac-v4")
DATA = ROOT / "semcodec" / "promptcodec" / "data"

# Also in spec/promptcodec-lm-ac-v4.md section 5: lm-ac-v3's vector prompts under this codec.
VECTORS = [(p, h) for (p, _), h in zip(V3_VECTORS, ["0016", "00b751498099fd5a835ea8", "716780a5a043bf95b307422b5c26b001409d2a5b60e2d176f8dec7ce38477e0f97c7a6635f675a102b263f48a54ec970ec45676ae18de0e61e461d5c", "1b4c6eeda169832acd6ece839f8d35fdaa3e60cc1cc567084bd6a5ef47df38010c6b1c9ddc244f3561e0553e1fd4a6b636faaf5a30d421dfa9a1a6f2fb2d8644ef03c7651345130a326a5fbbb6308d9b628709096c7cc6a06f56d972e1d994c1"])]


@pytest.fixture(scope="module")
def models():
    return lm_ac_v4._models()


def test_registry_entry() -> None:
    assert SPEC.id == 5 and SPEC.module == "lm_ac_v4"
    assert prompt_codec_by_id(5) is SPEC


def test_files_are_pinned_and_small(models) -> None:
    base, net, _, _ = models
    data = N.net_bytes(lm_ac_v4.NET_FILE)
    stored = (DATA / (lm_ac_v4.NET_FILE + ".zlib")).read_bytes()
    assert zlib.decompress(stored) == data
    assert hashlib.sha256(data).hexdigest() == N.MODELS[lm_ac_v4.NET_FILE] == net.sha256
    counts = M.model_bytes(M.MODEL_FILE_V4)
    # what ships: 2.9 + 4.4 MB (more than lm-ac-v3's 4.7, one reason it is opt-in); a guard against growth by mistake
    assert len(stored) + (DATA / (M.MODEL_FILE_V4 + M.PACKED_SUFFIX)).stat().st_size <= 8 * 1024 * 1024
    assert hashlib.sha256(counts).hexdigest() == M.MODELS[M.MODEL_FILE_V4] == base.sha256
    assert len(set(M.MODELS.values())) == len(M.MODELS) and len(set(N.MODELS.values())) == len(N.MODELS)


def test_spec_carries_the_vectors_the_weights_and_the_file_facts(models) -> None:
    base, net, _, _ = models
    spec = (ROOT / "spec" / "promptcodec-lm-ac-v4.md").read_text(encoding="utf-8")
    assert N.MODELS[lm_ac_v4.NET_FILE] in spec and M.MODELS[M.MODEL_FILE_V4] in spec
    assert f"{len(N.net_bytes(lm_ac_v4.NET_FILE)):,} bytes" in spec
    assert f"{len(M.model_bytes(M.MODEL_FILE_V4)):,} bytes" in spec
    assert f"V = {net.V:,}" in spec
    for order, row in enumerate(lm_ac_v4.WEIGHTS):
        assert f"| {order} | " + " | ".join(str(w) for w in row) + " |" in spec
    for _, hexbytes in VECTORS:
        assert hexbytes in spec
