"""lm-ac-v3 (prompt codec ID 4): an integer network mixed with count tables.

The range coder, tokens, spelling and the prompt's symbol order are lm-ac-v1's
(tested in depth in test_promptcodec_lm_ac.py); here: the network file, its
integer forward pass against the spec's formulas, the mixture, round trips,
hostile payloads and the pinned vectors."""

from __future__ import annotations

import hashlib
import json
import random
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from semcodec.container import SemFile, decode as decode_file
from semcodec.errors import FormatError, MissingError
from semcodec.prompt import Prompt
from semcodec.promptcodec import decode_prompt, encode_prompt, lm_ac_v3
from semcodec.promptcodec import lm_model as M
from semcodec.promptcodec import nn_model as N
from semcodec.registry import DEFAULT_PROMPT_CODEC, prompt_codec_by_id, prompt_codec_by_name

from test_promptcodec_lm_ac import VECTORS as V1_VECTORS, assert_not_interchangeable, code_many_objects, corpus_prompts, prompts

ROOT = Path(__file__).resolve().parent.parent
SPEC = prompt_codec_by_name("lm-ac-v3")
DATA = ROOT / "semcodec" / "promptcodec" / "data"

# Also in spec/promptcodec-lm-ac-v3.md section 5: the lm-ac-v1 vector prompts under this codec.
SPELLED = Prompt.from_dict(json.loads('''{"scene": "a zzxqv room with 31415 tiles, quintessentially baroque and wildly overdecorated in gold leaf", "objects": ["o1", "o2 4zzxqw", "a x27182 tag", "three red velvet chairs by the tall arched window", "blue", "a sleeping grey cat"], "lighting": "late afternoon sun through dusty curtains, long warm shadows across the parquet floor and up the far wall", "style": "Mixed CaSe"}'''))
VECTORS = [*((p, h) for (p, _), h in zip(V1_VECTORS, ["01249a", "01a8a83162595ec0924604", "718eefe183d03fb46bddb8a0c0ba8d521fcf999ef1781b8ecfacc9368fc55fb8da0e9dfff54f610cdf5c56559499deabfa4c54f0e86071248826ca4084c9cf"])), (SPELLED, "1c392109d51bab08fe57260a6f3603003286c78ba2506f1da9bf88e0e4ada5ee1dd22c76abfc828ae93e6e950d55e0456972fd1e908518bba841f75d7b8f3527ede9bfae4ba38d33e4147f983189c3f817a965c2bce09adbfd9496904b605f7469")]


@pytest.fixture(scope="module")
def net() -> N.NetModel:
    return N.load_net()


def test_registry_entry() -> None:
    assert SPEC.id == 4 and SPEC.module == "lm_ac_v3"
    assert prompt_codec_by_id(4) is SPEC
    assert DEFAULT_PROMPT_CODEC == "lm-ac-v2"  # lm-ac-v3 is opt-in: too slow and too big for the 10 ms / 4 MiB budgets


def test_files_are_pinned_and_small(net) -> None:
    data = N.net_bytes()
    stored = (DATA / (N.MODEL_FILE + ".zlib")).read_bytes()
    assert len(stored) <= 4 * 1024 * 1024 and zlib.decompress(stored) == data
    assert hashlib.sha256(data).hexdigest() == N.MODELS[N.MODEL_FILE] == net.sha256
    counts = M.model_bytes(M.MODEL_FILE_V3)
    assert (DATA / (M.MODEL_FILE_V3 + M.PACKED_SUFFIX)).stat().st_size <= 4 * 1024 * 1024
    assert hashlib.sha256(counts).hexdigest() == M.MODELS[M.MODEL_FILE_V3]
    assert len({M.MODELS[M.MODEL_FILE], M.MODELS[M.MODEL_FILE_V2], M.MODELS[M.MODEL_FILE_V3]}) == 3


def test_network_file_round_trips_through_the_format(net) -> None:
    l1, l2, out = net.l1, net.l2, net.out
    again = N.dump_net(net.vocab, net.emb, net.fields, net.pos,
                       [(L.W, L.mult, L.bias, L.shift) for L in (l1, l2, out)], net.exp, list(net.mix))
    assert hashlib.sha256(again).hexdigest() == net.sha256


def test_a_network_that_fails_its_sha256_is_refused(monkeypatch) -> None:
    damaged = bytearray(N.net_bytes())
    damaged[len(damaged) // 2] ^= 0x04
    monkeypatch.setattr(N, "net_bytes", lambda *a: bytes(damaged))
    N.load_net.cache_clear()
    lm_ac_v3.load_models.cache_clear()
    try:
        with pytest.raises(MissingError, match="SHA-256"):
            lm_ac_v3.encode(Prompt(scene="x"))
    finally:
        monkeypatch.undo()
        N.load_net.cache_clear()
        lm_ac_v3.load_models.cache_clear()


def test_a_missing_network_says_reinstall(monkeypatch) -> None:
    monkeypatch.setattr(N, "MODEL_FILE", "lm-ac-v3.gone")
    with pytest.raises(MissingError, match=r"lm-ac-v3\.gone\.zlib is missing .*reinstall semcodec"):
        N.net_bytes("lm-ac-v3.gone")


def test_bad_network_files_are_refused() -> None:
    good = N.net_bytes()
    for bad in (b"", good[:7], b"SEMLM\x00\x01\x00" + good[8:], good[:1000], good[:-1], good + b"\x00"):
        with pytest.raises(MissingError):
            N.parse_net(bad)
    hdr = bytearray(good)
    hdr[8:12] = (2).to_bytes(4, "little")  # V = 2: no room for END, a token and OTHER
    with pytest.raises(MissingError, match="header"):
        N.parse_net(bytes(hdr))
    mix = bytearray(good)
    mix[-1] = 0  # a mixture weight of 0
    with pytest.raises(MissingError, match="layout"):
        N.parse_net(bytes(mix))


def _reference_freqs(net: N.NetModel, prev, code, t, bag_ids) -> list[int]:
    """Spec section 1.2 in plain Python integers (no numpy), to check the reference implementation."""
    E = net.emb.tolist()
    d = len(E[0])
    n = len(bag_ids)
    S = [sum(E[k][j] for k in bag_ids) for j in range(d)]
    bag = [(2 * s + n) // (2 * n) for s in S] if n else [0] * d
    x = E[prev[0]] + E[prev[1]] + E[prev[2]] + net.fields[code].tolist() + net.pos[t].tolist() + bag

    def layer(L, v, clamp):
        out = []
        for row, m, b in zip(L.W.tolist(), L.mult.tolist(), L.bias.tolist()):
            y = (sum(w * xi for w, xi in zip(row, v)) * m + b) >> L.shift
            out.append(min(max(y, 0), 32767) if clamp else y)
        return out

    z = layer(net.out, layer(net.l2, layer(net.l1, x, True), True), False)
    zmax = max(z)
    exp = net.exp.tolist()
    w = [exp[min(zmax - zk, len(exp) - 1)] for zk in z]
    W = sum(w)
    return [1 + wk * ((1 << 24) - net.V) // W for wk in w]


def test_forward_pass_matches_the_spec_formulas(net) -> None:
    vocab = net.ids
    red, barn = vocab[" red"], vocab[" barn"]
    cases = [([net.BOS] * 3, 0, 0, []), ([barn, red, net.OTHER], 5, 3, [red, barn, N.END, red, net.OTHER])]
    for prev, code, t, bag in cases:
        S = net.emb[bag].sum(0) if bag else np.zeros(net.emb.shape[1], dtype=np.int64)
        got = net.freqs(prev, code, t, S, len(bag))
        assert got.dtype == np.int64 and got.min() >= 1 and got.sum() <= N.FREQ_TOTAL
        assert got.tolist() == _reference_freqs(net, prev, code, t, bag)


def test_mixed_tables_are_proper(net) -> None:
    base, net2, _, ngram = lm_ac_v3._models()
    P = ngram.probs(M.F_OBJECT, base.ids[" a"], base.ids[" red"])
    assert P.dtype == np.int64 and P.min() >= 0 and int(P.sum()) == lm_ac_v3.ONE
    ctx = lm_ac_v3._Context(net2, ngram)
    ctx.start(M.F_SCENE, 0)
    f = ctx.freqs()
    assert f.dtype == np.int64 and f.min() >= 1 and f.sum() <= N.FREQ_TOTAL and len(f) == net2.V


@pytest.mark.parametrize("name", ["corpus/lm-extra-v3.jsonl", "semcodec/bench/data/heldout-prompts.jsonl"])
def test_round_trip_corpus_samples(name) -> None:
    for p in corpus_prompts(ROOT / name, 40):
        assert lm_ac_v3.decode(lm_ac_v3.encode(p)) == p


# Also read by test_promptcodec_lm_ac_v4_family.py: prompts at the edges of the tokenizer and the bag.
EDGE_PROMPTS = [
    Prompt(scene="x"),
    Prompt(scene=" leading and trailing ", objects=("  ", " ,", "."), lighting=" ", style=" "),
    Prompt(scene="ALL CAPS SCENE", objects=("McDonald's", "eBay", "A", "I", "aB"), lighting="", style="x"),
    Prompt(scene="numbers 0 007 1950s 3.14 4k 8K", objects=tuple(f"o{i}" for i in range(16))),
    Prompt(scene="supercalifragilisticexpialidocious zzzqqq xylophonist", lighting="\u00a0nbsp\u2028sep"),
    Prompt(scene="\U0001f600\U0010fffd\ufffd\u200d", style="\U0001f3a8"),
    Prompt(scene="a red barn " * 36 + "x"),  # more than 64 symbols: the bag slides
]


def test_round_trip_edge_prompts() -> None:
    for p in EDGE_PROMPTS:
        assert lm_ac_v3.decode(lm_ac_v3.encode(p)) == p


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(p=prompts())
def test_property_lossless_for_any_valid_prompt(p: Prompt) -> None:
    assert decode_prompt(encode_prompt(p, SPEC), SPEC) == p


def test_every_truncation_and_appended_bytes_are_refused() -> None:
    for p, _ in VECTORS[1:3]:
        payload = lm_ac_v3.encode(p)
        for n in range(len(payload)):
            with pytest.raises(FormatError):
                lm_ac_v3.decode(payload[:n])
        for tail in (b"\x00", b"\xff", bytes(range(1, 9))):
            with pytest.raises(FormatError):
                lm_ac_v3.decode(payload + tail)


def test_garbage_is_refused_or_is_a_genuine_encoding() -> None:
    rng = random.Random(67)
    refused = 0
    n = 60
    for _ in range(n):
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 60)))
        try:
            p = lm_ac_v3.decode(junk)
        except FormatError:
            refused += 1
        else:
            assert lm_ac_v3.encode(p) == junk
    assert refused >= n * 8 // 10


def test_hostile_payloads_are_refused_within_bounds() -> None:
    def raw(build) -> bytes:
        e = lm_ac_v3._NetEncoder()
        build(e)
        return e.rc.finish()

    long_text = raw(lambda e: e.field(M.F_SCENE, "a red barn " * 60))
    long_word = raw(lambda e: e.field(M.F_SCENE, "q" * 3000))

    for payload in (long_text, long_word, raw(lambda e: code_many_objects(e, 20)), b"\xff" * 4096, b"\x00" * 4096):
        t0 = time.perf_counter()
        with pytest.raises(FormatError):
            lm_ac_v3.decode(payload)
        assert time.perf_counter() - t0 < 20.0  # bounded by the field limits (~1,100 symbols at most)


def test_non_canonical_choices_are_refused(net) -> None:
    """A vocabulary word sent as OTHER and spelled decodes, but is not the canonical encoding."""
    e = lm_ac_v3._NetEncoder()
    e.ctx.start(M.F_SCENE, 0)
    e.net_sym(net.OTHER)
    e.esc(e.fallback)
    e.spell(M.F_SCENE, " red")
    e.sym(e.m.groups[M.G_CASE].get((M.F_SCENE, 0, 0)), M.C_LOWER)
    e.ctx.push(net.OTHER, e.m.unk)
    e.net_sym(N.END)
    e.ctx.push(N.END, M.END)
    e.flag(M.G_MORE, (0, 0, 0), 0)
    e.field(M.F_LIGHTING, "")
    e.flag(M.G_STYLE, (0, 0, 0), 0)
    with pytest.raises(FormatError, match="canonical"):
        lm_ac_v3.decode(e.rc.finish())


def test_v2_and_v3_payloads_are_not_interchangeable() -> None:
    assert_not_interchangeable(VECTORS[1][0], "lm-ac-v2", "lm-ac-v3")


def test_whole_file_round_trip_through_the_container() -> None:
    p = VECTORS[1][0]
    sem = decode_file(SemFile.create(p, prompt_codec="lm-ac-v3", seed=7).to_bytes())
    assert sem.prompt == p and sem.prompt_codec.id == 4


@pytest.mark.parametrize("prompt,hexbytes", VECTORS)
def test_pinned_vectors(prompt, hexbytes) -> None:
    assert lm_ac_v3.encode(prompt).hex() == hexbytes
    assert lm_ac_v3.decode(bytes.fromhex(hexbytes)) == prompt


def test_spec_carries_the_vectors_and_the_file_facts(net) -> None:
    spec = (ROOT / "spec" / "promptcodec-lm-ac-v3.md").read_text(encoding="utf-8")
    assert N.MODELS[N.MODEL_FILE] in spec and M.MODELS[M.MODEL_FILE_V3] in spec
    assert f"{len(N.net_bytes()):,} bytes" in spec
    assert f"{len(M.model_bytes(M.MODEL_FILE_V3)):,} bytes" in spec
    assert f"V = {net.V:,}" in spec
    for _, hexbytes in VECTORS:
        assert hexbytes in spec
