"""lm-ac-v5 (prompt codec ID 6): lm-ac-v4's procedure with two networks averaged and new models.

The network format and forward pass are lm-ac-v3's, the chain, cache and zero
tail lm-ac-v4's; the tests this codec shares with lm-ac-v4 (round trips,
damaged and hostile payloads, the pinned vectors) are in
test_promptcodec_lm_ac_v4_family.py. Here: the files, the two networks' mean,
the refitted weights, the vectors and the spec."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import numpy as np
import pytest

from semcodec.promptcodec import lm_ac_v3, lm_ac_v4, lm_ac_v5
from semcodec.promptcodec import lm_model as M
from semcodec.promptcodec import nn_model as N
from semcodec.registry import prompt_codec_by_id, prompt_codec_by_name

from test_promptcodec_lm_ac_v3 import VECTORS as V3_VECTORS

ROOT = Path(__file__).resolve().parent.parent
SPEC = prompt_codec_by_name("lm-ac-v5")
DATA = ROOT / "semcodec" / "promptcodec" / "data"

# Also in spec/promptcodec-lm-ac-v5.md section 5: lm-ac-v3's vector prompts under this codec.
VECTORS = [(p, h) for (p, _), h in zip(V3_VECTORS, ["0027d5", "0197497a6765b43f8d9088", "75f5b1245b4b010ba2d5b845091fab64308a08a935a4fdde01b6c9fda7bec16f6dd58cd612b6b1d14e22e9d0133ce4461447b4e4e16c6ba5418f", "1a2186d097266417ce9cd49875b872b49294a7d65b4bf7b23f07f2f6713c4efc6cc71c3fa174a4ff793ac86f1408f87cbfe61065fa8ea5b7092a638c5c1c910e840db7d64445ec2d115c6bdee2ef23532b90ccebefa498abce23b3f42c"])]


@pytest.fixture(scope="module")
def models():
    return lm_ac_v5._models()


def test_registry_entry() -> None:
    assert SPEC.id == 6 and SPEC.module == "lm_ac_v5"
    assert prompt_codec_by_id(6) is SPEC


def test_files_are_pinned_and_small(models) -> None:
    base, net, _, _ = models
    stored_total = (DATA / (M.MODEL_FILE_V5 + M.PACKED_SUFFIX)).stat().st_size
    for name, got in zip(lm_ac_v5.NET_FILES, (net, lm_ac_v5._second())):
        data = N.net_bytes(name)
        stored = (DATA / (name + ".zlib")).read_bytes()
        stored_total += len(stored)
        assert zlib.decompress(stored) == data
        assert hashlib.sha256(data).hexdigest() == N.MODELS[name] == got.sha256
    # what ships: 2 x 2.9 + 4.4 MB (one reason it is opt-in); a guard against growth by mistake
    assert stored_total <= 11 * 1024 * 1024
    counts = M.model_bytes(M.MODEL_FILE_V5)
    assert hashlib.sha256(counts).hexdigest() == M.MODELS[M.MODEL_FILE_V5] == base.sha256
    assert len(set(M.MODELS.values())) == len(M.MODELS) and len(set(N.MODELS.values())) == len(N.MODELS)


def test_the_two_networks_share_a_vocabulary_and_differ(models) -> None:
    _, net, _, _ = models
    b = lm_ac_v5._second()
    assert b.vocab == net.vocab and b.V == net.V == 16384
    assert not np.array_equal(b.emb, net.emb)


def test_network_distribution_is_the_mean_of_the_two(models) -> None:
    _, net, _, ngram = models
    ctx = lm_ac_v5._Context(net, ngram)
    ctx.start(M.F_OBJECT, 5)
    for word in (" a", " red", " barn"):
        ctx.push(net.ids[word], M.END)
    q = ctx.net_q()
    args = (ctx.prev, ctx.code, min(ctx.t, N.N_POSITIONS - 1))
    fa = net.freqs(*args, ctx.bag_sums[0], len(ctx.bag))
    fb = lm_ac_v5._second().freqs(*args, ctx.bag_sums[1], len(ctx.bag))
    want = (fa * lm_ac_v3.ONE // int(fa.sum()) + fb * lm_ac_v3.ONE // int(fb.sum())) >> 1
    assert np.array_equal(q, want)
    assert np.array_equal(ctx.bag_sums[1], lm_ac_v5._second().emb[[net.ids[w] for w in (" a", " red", " barn")]].sum(0))


def test_bag_sums_forget_the_oldest_token_past_the_bag(models) -> None:
    _, net, _, ngram = models
    ctx = lm_ac_v5._Context(net, ngram)
    ctx.start(M.F_SCENE, 0)
    syms = [(7 * i) % (net.V - 2) + 1 for i in range(N.BAG + 5)]
    for s in syms:
        ctx.push(s, M.END)
    b = lm_ac_v5._second()
    assert np.array_equal(ctx.bag_sums[1], b.emb[syms[-N.BAG:]].sum(0))
    assert np.array_equal(ctx.bag_sums[0], net.emb[syms[-N.BAG:]].sum(0))


def test_weights_and_cache_weight_were_refitted() -> None:
    assert lm_ac_v5.WEIGHTS != lm_ac_v4.WEIGHTS and lm_ac_v5.CACHE_WEIGHT == 12 != lm_ac_v4._Context.cache_weight


def test_spec_carries_the_vectors_the_weights_and_the_file_facts(models) -> None:
    base, net, _, _ = models
    spec = (ROOT / "spec" / "promptcodec-lm-ac-v5.md").read_text(encoding="utf-8")
    for name in lm_ac_v5.NET_FILES:
        assert N.MODELS[name] in spec and f"{len(N.net_bytes(name)):,} bytes" in spec
    assert M.MODELS[M.MODEL_FILE_V5] in spec and f"{len(M.model_bytes(M.MODEL_FILE_V5)):,} bytes" in spec
    assert f"V = {net.V:,}" in spec
    for order, row in enumerate(lm_ac_v5.WEIGHTS):
        assert f"| {order} | " + " | ".join(str(w) for w in row) + " |" in spec
    for _, hexbytes in VECTORS:
        assert hexbytes in spec
