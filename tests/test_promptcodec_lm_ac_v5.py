"""lm-ac-v5 (prompt codec ID 6): lm-ac-v4's procedure with two networks averaged and new models.

The network format and forward pass are lm-ac-v3's, the chain, cache and zero
tail lm-ac-v4's (their test modules); here: the files, the two networks'
mean, the weight table, round trips, damaged and hostile payloads and the
pinned vectors."""

from __future__ import annotations

import hashlib
import random
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from semcodec.container import SemFile, decode as decode_file
from semcodec.errors import FormatError
from semcodec.prompt import Prompt
from semcodec.promptcodec import decode_prompt, encode_prompt, lm_ac_v3, lm_ac_v4, lm_ac_v5
from semcodec.promptcodec import lm_model as M
from semcodec.promptcodec import nn_model as N
from semcodec.registry import prompt_codec_by_id, prompt_codec_by_name

from test_promptcodec_lm_ac import assert_not_interchangeable, code_many_objects, corpus_prompts, prompts
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
    fa = net.freqs(*args, ctx.bag_sum, len(ctx.bag))
    fb = lm_ac_v5._second().freqs(*args, ctx.bag_sum_b, len(ctx.bag))
    want = (fa * lm_ac_v3.ONE // int(fa.sum()) + fb * lm_ac_v3.ONE // int(fb.sum())) >> 1
    assert np.array_equal(q, want)
    assert np.array_equal(ctx.bag_sum_b, lm_ac_v5._second().emb[[net.ids[w] for w in (" a", " red", " barn")]].sum(0))


def test_bag_sums_forget_the_oldest_token_past_the_bag(models) -> None:
    _, net, _, ngram = models
    ctx = lm_ac_v5._Context(net, ngram)
    ctx.start(M.F_SCENE, 0)
    syms = [(7 * i) % (net.V - 2) + 1 for i in range(N.BAG + 5)]
    for s in syms:
        ctx.push(s, M.END)
    b = lm_ac_v5._second()
    assert np.array_equal(ctx.bag_sum_b, b.emb[syms[-N.BAG:]].sum(0))
    assert np.array_equal(ctx.bag_sum, net.emb[syms[-N.BAG:]].sum(0))


def test_weight_table_shape_and_lookup() -> None:
    W = lm_ac_v5.WEIGHTS
    assert len(W) == 4 and all(len(row) == lm_ac_v5.N_BUCKETS for row in W)
    assert all(1 <= w <= 255 for row in W for w in row)
    assert W != lm_ac_v4.WEIGHTS and lm_ac_v5.CACHE_WEIGHT == 12
    assert lm_ac_v5.weight_of(3, 0) == W[3][0]
    assert lm_ac_v5.weight_of(2, 1000) == W[2][10 // 2]  # 1000 has 10 bits
    assert lm_ac_v5.weight_of(1, 1 << 40) == W[1][12]  # bit lengths above 24 share the last bucket


def test_chain_reports_its_first_table(models) -> None:
    base, net, _, ngram = models
    P, order, total = ngram.chain(M.F_OBJECT, base.ids[" a"], base.ids[" red"])
    assert P.dtype == np.int64 and P.min() >= 0 and int(P.sum()) == lm_ac_v3.ONE
    assert order == 3 and total == ngram.o2.get((M.F_OBJECT, base.ids[" a"], base.ids[" red"])).total
    _, order, total = ngram.chain(M.F_SCENE, M.END, base.unk)  # an unknown previous token: no order-2 context
    assert order in (2, 1, 0)
    ctx = lm_ac_v5._Context(net, ngram)
    ctx.start(M.F_SCENE, 0)
    f = ctx.freqs()
    assert f.dtype == np.int64 and f.min() >= 1 and f.sum() <= N.FREQ_TOTAL and len(f) == net.V


@pytest.mark.parametrize("name", ["corpus/lm-extra-v5.jsonl", "semcodec/bench/data/heldout-prompts.jsonl"])
def test_round_trip_corpus_samples(name) -> None:
    for p in corpus_prompts(ROOT / name, 40):
        payload = lm_ac_v5.encode(p)
        assert payload[-1] != 0 or payload == b"\x00"
        assert lm_ac_v5.decode(payload) == p


def test_round_trip_edge_prompts() -> None:
    cases = [
        Prompt(scene="x"),
        Prompt(scene=" leading and trailing ", objects=("  ", " ,", "."), lighting=" ", style=" "),
        Prompt(scene="ALL CAPS SCENE", objects=("McDonald's", "eBay", "A", "I", "aB"), lighting="", style="x"),
        Prompt(scene="numbers 0 007 1950s 3.14 4k 8K", objects=tuple(f"o{i}" for i in range(16))),
        Prompt(scene="supercalifragilisticexpialidocious zzzqqq xylophonist", lighting="\u00a0nbsp\u2028sep"),
        Prompt(scene="\U0001f600\U0010fffd\ufffd\u200d", style="\U0001f3a8"),
        Prompt(scene="a red barn " * 36 + "x"),
    ]
    for p in cases:
        assert lm_ac_v5.decode(lm_ac_v5.encode(p)) == p


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(p=prompts())
def test_property_lossless_for_any_valid_prompt(p: Prompt) -> None:
    assert decode_prompt(encode_prompt(p, SPEC), SPEC) == p


def _refused_or_genuine(original: Prompt, damaged: bytes) -> bool:
    """True if refused; else the damaged bytes must be exactly the encoding of another prompt."""
    try:
        other = lm_ac_v5.decode(damaged)
    except FormatError:
        return True
    assert other != original and lm_ac_v5.encode(other) == damaged
    return False


def test_truncated_or_extended_payloads_are_refused_or_are_another_prompts_encoding() -> None:
    """Not prefix-free (section 3): a cut or extended payload may be another prompt's encoding, never a wrong reading."""
    refused = total = 0
    for p, _ in VECTORS[1:3]:
        payload = lm_ac_v5.encode(p)
        damaged = [payload[:n] for n in range(len(payload))]
        damaged += [payload + tail for tail in (b"\x00", b"\x00\x00", b"\xff", bytes(range(1, 9)))]
        for d in damaged:
            total += 1
            refused += _refused_or_genuine(p, d)
    assert 0 < refused < total  # the framing, not the payload, has to tell where a payload ends


def test_trailing_zero_bytes_are_not_canonical() -> None:
    """The decoder reads zeros past the end, so payload + 00 decodes the same prompt: the validity check refuses it."""
    for p, _ in VECTORS:
        payload = lm_ac_v5.encode(p)
        for tail in (b"\x00", b"\x00" * 9):
            with pytest.raises(FormatError, match="trailing bytes"):
                lm_ac_v5.decode(payload + tail)


def test_in_a_v2_file_the_crc_catches_every_truncation() -> None:
    data = SemFile.create(VECTORS[1][0], prompt_codec="lm-ac-v5", seed=0, version=2).to_bytes()
    for n in range(len(data)):
        with pytest.raises(FormatError):
            decode_file(data[:n])


def test_garbage_is_refused_or_is_a_genuine_encoding() -> None:
    rng = random.Random(68)
    n = 60
    refused = sum(_refused_or_genuine(Prompt(scene="-"), bytes(rng.randrange(256) for _ in range(rng.randint(1, 60))))
                  for _ in range(n))
    assert refused >= n // 4  # a tight code: many byte strings are some prompt's encoding (37 of these 60)


def test_hostile_payloads_are_refused_within_bounds() -> None:
    def raw(build) -> bytes:
        e = lm_ac_v5._NetEncoder()
        build(e)
        return e.finish()

    for payload in (raw(lambda e: e.field(M.F_SCENE, "a red barn " * 60)), raw(lambda e: e.field(M.F_SCENE, "q" * 3000)),
                    raw(lambda e: code_many_objects(e, 20)), b"\xff" * 4096, b"\x00" * 4096):
        t0 = time.perf_counter()
        with pytest.raises(FormatError):
            lm_ac_v5.decode(payload)
        assert time.perf_counter() - t0 < 20.0


def test_v4_and_v5_payloads_are_not_interchangeable() -> None:
    assert_not_interchangeable(VECTORS[1][0], "lm-ac-v4", "lm-ac-v5")


def test_whole_file_round_trip_through_the_container() -> None:
    p = VECTORS[1][0]
    sem = decode_file(SemFile.create(p, prompt_codec="lm-ac-v5", seed=7).to_bytes())
    assert sem.prompt == p and sem.prompt_codec.id == 6


@pytest.mark.parametrize("prompt,hexbytes", VECTORS)
def test_pinned_vectors(prompt, hexbytes) -> None:
    assert lm_ac_v5.encode(prompt).hex() == hexbytes
    assert lm_ac_v5.decode(bytes.fromhex(hexbytes)) == prompt


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
