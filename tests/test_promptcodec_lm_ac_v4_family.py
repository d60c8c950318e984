"""lm-ac-v4's procedure and its successors lm-ac-v5 and lm-ac-v6: the tests they all must pass, parametrised by codec.

Each codec's own module holds what differs (its files, its networks, its weight
table, its spec); here: the chain, round trips, damaged and hostile payloads,
the container and the pinned vectors (VECTORS stay in the codec's own module)."""

from __future__ import annotations

import random
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from semcodec.container import SemFile, decode as decode_file
from semcodec.errors import FormatError
from semcodec.prompt import Prompt
from semcodec.promptcodec import decode_prompt, encode_prompt, lm_ac_v3, lm_ac_v4, lm_ac_v5, lm_ac_v6
from semcodec.promptcodec import lm_model as M
from semcodec.promptcodec import nn_model as N
from semcodec.registry import prompt_codec_by_name

from test_promptcodec_lm_ac import assert_not_interchangeable, code_many_objects, corpus_prompts, prompts
from test_promptcodec_lm_ac_v3 import EDGE_PROMPTS
from test_promptcodec_lm_ac_v4 import VECTORS as V4_VECTORS
from test_promptcodec_lm_ac_v5 import VECTORS as V5_VECTORS
from test_promptcodec_lm_ac_v6 import VECTORS as V6_VECTORS

ROOT = Path(__file__).resolve().parent.parent

# name -> (module, pinned vectors, a training corpus to sample, the codec before it)
CODECS = {
    "lm-ac-v4": (lm_ac_v4, V4_VECTORS, "corpus/lm-dev-v4.jsonl", "lm-ac-v3"),
    "lm-ac-v5": (lm_ac_v5, V5_VECTORS, "corpus/lm-extra-v5.jsonl", "lm-ac-v4"),
    "lm-ac-v6": (lm_ac_v6, V6_VECTORS, "corpus/lm-extra-v5.jsonl", "lm-ac-v5"),
}
NAMES = list(CODECS)


def _module(name: str) -> ModuleType:
    return CODECS[name][0]


def _vectors(name: str) -> list[tuple[Prompt, str]]:
    return CODECS[name][1]


@pytest.mark.parametrize("codec", NAMES)
def test_chain_reports_its_first_table(codec) -> None:
    mod = _module(codec)
    base, net, _, ngram = mod._models()
    P, order, total = ngram.chain(M.F_OBJECT, base.ids[" a"], base.ids[" red"])
    assert P.dtype == np.int64 and P.min() >= 0 and int(P.sum()) == lm_ac_v3.ONE
    assert order == 3 and total == ngram.o2.get((M.F_OBJECT, base.ids[" a"], base.ids[" red"])).total
    _, order, total = ngram.chain(M.F_SCENE, M.END, base.unk)  # an unknown previous token: no order-2 context
    assert order in (2, 1, 0)
    ctx = mod._Context(net, ngram)
    ctx.start(M.F_SCENE, 0)
    f = ctx.freqs()
    assert f.dtype == np.int64 and f.min() >= 1 and f.sum() <= N.FREQ_TOTAL and len(f) == net.V


@pytest.mark.parametrize("corpus", ["own", "semcodec/bench/data/heldout-prompts.jsonl"])
@pytest.mark.parametrize("codec", NAMES)
def test_round_trip_corpus_samples(codec, corpus) -> None:
    mod = _module(codec)
    for p in corpus_prompts(ROOT / (CODECS[codec][2] if corpus == "own" else corpus), 40):
        payload = mod.encode(p)
        assert payload[-1] != 0 or payload == b"\x00"
        assert mod.decode(payload) == p


@pytest.mark.parametrize("codec", NAMES)
def test_round_trip_edge_prompts(codec) -> None:
    mod = _module(codec)
    for p in EDGE_PROMPTS:
        assert mod.decode(mod.encode(p)) == p


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(p=prompts())
@pytest.mark.parametrize("codec", NAMES)
def test_property_lossless_for_any_valid_prompt(codec, p: Prompt) -> None:
    spec = prompt_codec_by_name(codec)
    assert decode_prompt(encode_prompt(p, spec), spec) == p


def _refused_or_genuine(mod: ModuleType, original: Prompt, damaged: bytes) -> bool:
    """True if refused; else the damaged bytes must be exactly the encoding of another prompt."""
    try:
        other = mod.decode(damaged)
    except FormatError:
        return True
    assert other != original and mod.encode(other) == damaged
    return False


@pytest.mark.parametrize("codec", NAMES)
def test_truncated_or_extended_payloads_are_refused_or_are_another_prompts_encoding(codec) -> None:
    """Not prefix-free (section 3): a cut or extended payload may be another prompt's encoding, never a wrong reading."""
    mod = _module(codec)
    refused = total = 0
    for p, _ in _vectors(codec)[1:3]:
        payload = mod.encode(p)
        damaged = [payload[:n] for n in range(len(payload))]
        damaged += [payload + tail for tail in (b"\x00", b"\x00\x00", b"\xff", bytes(range(1, 9)))]
        for d in damaged:
            total += 1
            refused += _refused_or_genuine(mod, p, d)
    assert 0 < refused < total  # the framing, not the payload, has to tell where a payload ends


@pytest.mark.parametrize("codec", NAMES)
def test_trailing_zero_bytes_are_not_canonical(codec) -> None:
    """The decoder reads zeros past the end, so payload + 00 decodes the same prompt: the validity check refuses it."""
    mod = _module(codec)
    for p, _ in _vectors(codec):
        payload = mod.encode(p)
        for tail in (b"\x00", b"\x00" * 9):
            with pytest.raises(FormatError, match="trailing bytes"):
                mod.decode(payload + tail)


@pytest.mark.parametrize("codec", NAMES)
def test_in_a_v2_file_the_crc_catches_every_truncation(codec) -> None:
    data = SemFile.create(_vectors(codec)[1][0], prompt_codec=codec, seed=0, version=2).to_bytes()
    for n in range(len(data)):
        with pytest.raises(FormatError):
            decode_file(data[:n])


@pytest.mark.parametrize("codec", NAMES)
def test_garbage_is_refused_or_is_a_genuine_encoding(codec) -> None:
    mod = _module(codec)
    rng = random.Random(68)
    n = 60
    refused = sum(_refused_or_genuine(mod, Prompt(scene="-"), bytes(rng.randrange(256) for _ in range(rng.randint(1, 60))))
                  for _ in range(n))
    assert refused >= n // 4  # a tight code: many byte strings are some prompt's encoding


@pytest.mark.parametrize("codec", NAMES)
def test_hostile_payloads_are_refused_within_bounds(codec) -> None:
    mod = _module(codec)

    def raw(build) -> bytes:
        e = mod._NetEncoder()
        build(e)
        return e.finish()

    for payload in (raw(lambda e: e.field(M.F_SCENE, "a red barn " * 60)), raw(lambda e: e.field(M.F_SCENE, "q" * 3000)),
                    raw(lambda e: code_many_objects(e, 20)), b"\xff" * 4096, b"\x00" * 4096):
        t0 = time.perf_counter()
        with pytest.raises(FormatError):
            mod.decode(payload)
        assert time.perf_counter() - t0 < 20.0


@pytest.mark.parametrize("codec", NAMES)
def test_payloads_are_not_interchangeable_with_the_codec_before(codec) -> None:
    assert_not_interchangeable(_vectors(codec)[1][0], CODECS[codec][3], codec)


@pytest.mark.parametrize("codec", NAMES)
def test_whole_file_round_trip_through_the_container(codec) -> None:
    p = _vectors(codec)[1][0]
    sem = decode_file(SemFile.create(p, prompt_codec=codec, seed=7).to_bytes())
    assert sem.prompt == p and sem.prompt_codec is prompt_codec_by_name(codec)


@pytest.mark.parametrize("codec,prompt,hexbytes", [(c, p, h) for c in NAMES for p, h in _vectors(c)])
def test_pinned_vectors(codec, prompt, hexbytes) -> None:
    mod = _module(codec)
    assert mod.encode(prompt).hex() == hexbytes
    assert mod.decode(bytes.fromhex(hexbytes)) == prompt


@pytest.mark.parametrize("codec", NAMES)
def test_weight_table_shape_and_lookup(codec) -> None:
    mod = _module(codec)
    W = mod.WEIGHTS
    assert len(W) == 4 and all(len(row) == mod.N_BUCKETS for row in W)
    assert all(1 <= w <= 255 for row in W for w in row)
    assert mod.weight_of(3, 0) == W[3][0]
    assert mod.weight_of(2, 1000) == W[2][10 // 2]  # 1000 has 10 bits
    assert mod.weight_of(1, 1 << 40) == W[1][12]  # bit lengths above 24 share the last bucket
