"""lm-ac-v1: range coder, model file, round trips, hostile payloads, pinned vectors."""

from __future__ import annotations

import ast
import hashlib
import json
import random
import time
from bisect import bisect_left, bisect_right
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from semcodec.container import SemFile, decode as decode_file
from semcodec.errors import FormatError, MissingError, PromptError
from semcodec.prompt import Prompt
from semcodec.promptcodec import decode_prompt, encode_prompt
from semcodec.promptcodec import lm_ac
from semcodec.promptcodec import lm_model as M
from semcodec.promptcodec.rangecoder import MAX_TOTAL, RangeDecoder, RangeEncoder
from semcodec.registry import prompt_codec_by_id, prompt_codec_by_name

ROOT = Path(__file__).resolve().parent.parent
SPEC = prompt_codec_by_name("lm-ac-v1")

# Test vectors: also in spec/promptcodec-lm-ac-v1.md section 8.
VECTORS = [
    (
        Prompt(scene="a", objects=(), lighting="", style=None),
        "7705a0",
    ),
    (
        Prompt(
            scene="a red barn in a snowy field",
            objects=("a wooden fence", "two horses"),
            lighting="soft morning light",
            style="35mm film photograph",
        ),
        "417c8ff44e0dc6599cbc9913",
    ),
    (
        Prompt(scene="Café «Ünïcode» 日本 🎉", objects=("iPhone 15 Pro",), lighting="NEON glow", style=None),
        "f1dfac41024d08ee92cb0560f42867d6b1d9929fbf637f411843c36cb0589b619f3086f053c299832aee2f5b5edf675085e14e3c1ddc2efab083a2ee59",
    ),
]


@pytest.fixture(scope="module")
def model() -> M.Model:
    return M.load_model(M.MODEL_FILE)


@pytest.fixture(scope="module", params=[M.MODEL_FILE, M.MODEL_FILE_V2])
def any_model(request) -> M.Model:
    """Both shipped models: the procedure's guarantees must hold for each (IDs 2 and 3)."""
    return M.load_model(request.param)


def any_model_file(model: M.Model) -> str:
    return next(name for name, sha in M.MODELS.items() if sha == model.sha256)


def corpus_prompts(path: Path, n: int) -> list[Prompt]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    step = max(1, len(lines) // n)
    return [Prompt.from_dict(json.loads(ln)) for ln in lines[::step][:n]]


def code_many_objects(e, n: int) -> None:
    """Code (with an lm-ac encoder ``e``) a scene and ``n`` objects "a cat": more than the 16 a prompt may have."""
    e.field(M.F_SCENE, "a")
    for i in range(n):
        e.flag(M.G_MORE, (min(i, 16), 0, 0), 1)
        e.field(M.F_OBJECT, "a cat")
    e.flag(M.G_MORE, (16, 0, 0), 0)


def assert_not_interchangeable(p: Prompt, name_a: str, name_b: str) -> None:
    """The two codecs code ``p`` differently, and each payload read with the other codec is refused or means something else."""
    a_spec, b_spec = prompt_codec_by_name(name_a), prompt_codec_by_name(name_b)
    a, b = encode_prompt(p, a_spec), encode_prompt(p, b_spec)
    assert a != b
    for payload, wrong in ((a, b_spec), (b, a_spec)):
        try:
            other = decode_prompt(payload, wrong)
        except FormatError:
            continue
        assert other != p


# ---------------------------------------------------------------------------
# Range coder
# ---------------------------------------------------------------------------


def _random_tables(rng: random.Random, n_tables: int) -> list[list[int]]:
    tables = []
    for _ in range(n_tables):
        k = rng.randint(1, 40)
        kind = rng.random()
        if kind < 0.3:
            freqs = [rng.randint(1, 3) for _ in range(k)]
        elif kind < 0.6:
            freqs = [rng.randint(1, MAX_TOTAL // k) for _ in range(k)]
        else:  # one dominant symbol: long runs of near-certain symbols exercise carries
            freqs = [1] * k
            freqs[rng.randrange(k)] = MAX_TOTAL - k + 1
        tables.append(freqs)
    return tables


def _encode_symbols(syms: list[tuple[list[int], int]]) -> bytes:
    enc = RangeEncoder()
    for freqs, s in syms:
        enc.encode(sum(freqs[:s]), freqs[s], sum(freqs))
    return enc.finish()


def _decode_symbols(data: bytes, tables: list[list[int]]) -> list[int]:
    dec = RangeDecoder(data)
    out = []
    for freqs in tables:
        cums = [sum(freqs[:i]) for i in range(len(freqs))]
        out.append(dec.decode_cum(cums, sum(freqs)))
    return out


def test_range_coder_round_trip_and_shortest_tail() -> None:
    rng = random.Random(6)
    for trial in range(300):
        tables = _random_tables(rng, rng.randint(0, 60))
        syms = []
        for freqs in tables:
            # mostly probable symbols, sometimes an improbable one
            s = rng.choices(range(len(freqs)), weights=freqs)[0] if rng.random() < 0.9 else rng.randrange(len(freqs))
            syms.append((freqs, s))
        data = _encode_symbols(syms)
        want = [s for _, s in syms]
        # every continuation of the output decodes the same: the outputs are prefix-free
        for tail in (b"", b"\x00" * 8, b"\xff" * 8, bytes(rng.randrange(256) for _ in range(8))):
            assert _decode_symbols(data + tail, tables) == want
        if data:  # and the tail is the shortest: one byte less has a continuation that decodes differently
            shorter = data[:-1]
            outcomes = []
            for tail in (b"", b"\xff" * 8):
                try:
                    outcomes.append(_decode_symbols(shorter + tail, tables))
                except FormatError:
                    outcomes.append(None)
            assert any(o != want for o in outcomes), trial


def _zero_tail_reference(enc: RangeEncoder) -> bytes:
    """The shortest non-empty P with P + zeros in the final interval, by exact integers on the whole interval."""
    from semcodec.promptcodec.rangecoder import TOP, WINDOW_BYTES

    n_out = len(enc.out)
    lo = int.from_bytes(bytes(enc.out), "big") * TOP + enc.low  # the interval in units of 256**-(n_out + 7)
    hi = lo + enc.range
    for n in range(1, n_out + WINDOW_BYTES + 1):
        unit = 256 ** (n_out + WINDOW_BYTES - n)
        v = -(-lo // unit)  # the smallest n-byte value >= lo
        if v * unit < hi:
            return v.to_bytes(n, "big")
    raise AssertionError("unreachable: the full-length value is in the interval")


def test_zero_tail_termination_is_the_shortest_output_followed_by_zeros() -> None:
    rng = random.Random(61)
    saved = 0
    for trial in range(300):
        tables = _random_tables(rng, rng.randint(0, 60))
        syms = [(f, rng.choices(range(len(f)), weights=f)[0] if rng.random() < 0.9 else rng.randrange(len(f)))
                for f in tables]
        enc, ref = RangeEncoder(), RangeEncoder()
        for freqs, s in syms:
            for e in (enc, ref):
                e.encode(sum(freqs[:s]), freqs[s], sum(freqs))
        prefix_free = RangeEncoder()
        prefix_free.low, prefix_free.range, prefix_free.out = ref.low, ref.range, bytearray(ref.out)
        want_bytes = _zero_tail_reference(ref)
        data = enc.finish_zero_tail()
        assert data == want_bytes, trial
        assert data and (data == b"\x00" or data[-1] != 0)
        assert _decode_symbols(data, tables) == [s for _, s in syms]
        pf = prefix_free.finish()
        assert len(data) <= max(len(pf), 1)
        saved += max(len(pf), 1) - len(data)
    assert saved > 0  # it does save bytes


def test_range_coder_carry_propagates() -> None:
    # many near-certain top symbols push low towards the top of the window and force carries
    freqs = [1, MAX_TOTAL - 1]
    syms = [(freqs, 1)] * 200 + [(freqs, 0)] + [(freqs, 1)] * 50
    data = _encode_symbols(syms)
    assert _decode_symbols(data, [freqs] * len(syms)) == [s for _, s in syms]


def test_range_decoder_rejects_out_of_range_value() -> None:
    dec = RangeDecoder(b"\xff" * 8)
    with pytest.raises(FormatError):
        dec.target(3)  # 0xFF.. // (2**56 // 3) == 3, outside [0, 3)


def test_no_float_arithmetic_in_the_codec_paths() -> None:
    for name in ("rangecoder.py", "lm_ac.py", "lm_model.py"):
        tree = ast.parse((ROOT / "semcodec" / "promptcodec" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), (name, node.lineno)
            assert not isinstance(node, (ast.Div,)), (name, node.lineno)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("float", "round"), (name, node.lineno)


# ---------------------------------------------------------------------------
# Exclusion mapping (reduced tables)
# ---------------------------------------------------------------------------


def test_exclusion_matches_a_naive_reduced_table() -> None:
    rng = random.Random(2)
    for _ in range(200):
        n = rng.randint(1, 30)
        lower = M.Table(list(range(n)), [rng.randint(1, 50) for _ in range(n)], rng.randint(0, 5) or 1)
        upper_syms = sorted(rng.sample(range(n + 5), rng.randint(0, min(n, 10))))
        upper = M.Table(upper_syms, [1] * len(upper_syms), 1)
        ex = M.Exclusion(upper, lower)
        kept = [i for i in range(n) if lower.syms[i] not in set(upper_syms)]
        assert ex.tot == sum(lower.freqs[i] for i in range(n) if i not in kept)
        # naive reduced cumulative starts
        start = 0
        for i in kept:
            assert lower.cums[i] - ex.E[bisect_left(ex.pos, i)] == start
            for v in (start, start + lower.freqs[i] - 1):
                k = bisect_right(ex.r, v)
                assert bisect_right(lower.cums, v + ex.E[k]) - 1 == i
            start += lower.freqs[i]
        assert start + lower.esc == lower.total - ex.tot


# ---------------------------------------------------------------------------
# Model file
# ---------------------------------------------------------------------------


def test_registry_entry() -> None:
    assert SPEC.id == 2 and SPEC.module == "lm_ac"
    assert prompt_codec_by_id(2) is SPEC


def test_model_file_is_pinned_and_small(model) -> None:
    data = M.model_bytes(M.MODEL_FILE)
    assert len(data) <= 4 * 1024 * 1024
    pinned = M.MODELS[M.MODEL_FILE]
    assert pinned is not None and hashlib.sha256(data).hexdigest() == pinned
    assert model.sha256 == pinned


@pytest.mark.parametrize("codec,name,flip", [("lm-ac-v1", M.MODEL_FILE, (2, 0x01)), ("lm-ac-v2", M.MODEL_FILE_V2, (3, 0x10))])
def test_a_model_that_fails_its_sha256_is_refused(monkeypatch, codec, name, flip) -> None:
    damaged = bytearray(M.model_bytes(name))
    damaged[len(damaged) // flip[0]] ^= flip[1]
    monkeypatch.setattr(M, "model_bytes", lambda *a: bytes(damaged))
    M.load_model.cache_clear()
    try:
        with pytest.raises(MissingError, match="SHA-256"):
            encode_prompt(Prompt(scene="x"), prompt_codec_by_name(codec))
    finally:
        monkeypatch.undo()
        M.load_model.cache_clear()


def test_model_round_trips_through_the_file_format(any_model) -> None:
    again = M.dump_model(
        any_model.vocab,
        {
            gid: [
                (ctx, list(zip(t.syms, t.freqs)), t.esc)
                for ctx, t in ((c, any_model.groups[gid].get(c)) for c in any_model.groups[gid].contexts())
            ]
            for gid in M.GROUP_IDS
        },
    )
    assert hashlib.sha256(again).hexdigest() == any_model.sha256 == M.MODELS[any_model_file(any_model)]


def test_tokenizer_is_canonical() -> None:
    assert M.tokenize("A red-barn, 35mm  x") == [" A", " red", "-", "barn", ",", " 35", "mm", " ", " x"]
    assert "".join(M.tokenize("Ünï 日本")) == " Ünï 日本"
    assert [M.case_class(w) for w in ("red", "Red", "RED", "R", "iPhone")] == [0, 1, 2, 1, 3]


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["corpus/train-v1.jsonl", "corpus/lm-extra-v1.jsonl"])
def test_round_trip_corpus_samples(model, name) -> None:
    for p in corpus_prompts(ROOT / name, 150):
        payload = lm_ac.encode_with(model, p)
        assert lm_ac.decode_with(model, payload) == p


def test_round_trip_edge_prompts(any_model) -> None:
    cases = [
        Prompt(scene="x"),
        Prompt(scene=" leading and trailing ", objects=("  ", " ,", "."), lighting=" ", style=" "),
        Prompt(scene="ALL CAPS SCENE", objects=("McDonald's", "eBay", "A", "I", "aB"), lighting="", style="x"),
        Prompt(scene="numbers 0 007 1950s 3.14 4k 8K", objects=tuple(f"o{i}" for i in range(16))),
        Prompt(scene="é" * 200),  # 400 bytes, the scene limit
        Prompt(scene="supercalifragilisticexpialidocious zzzqqq xylophonist", lighting="\u00a0nbsp\u2028sep"),
        Prompt(scene="\U0001f600\U0010fffd\ufffd\u200d", style="\U0001f3a8"),
    ]
    for p in cases:
        payload = lm_ac.encode_with(any_model, p)
        assert lm_ac.decode_with(any_model, payload) == p


_TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.-'", min_size=1, max_size=30),
    st.sampled_from(["a red barn", "soft morning light", "35mm film photograph", "golden hour", "a cat"]),
)


@st.composite
def prompts(draw) -> Prompt:
    scene = draw(_TEXT)
    objects = tuple(draw(st.lists(_TEXT, max_size=16)))
    lighting = draw(st.one_of(st.just(""), _TEXT))
    style = draw(st.one_of(st.none(), _TEXT))
    try:
        return Prompt(scene=scene, objects=objects, lighting=lighting, style=style)
    except PromptError:
        assume(False)


@pytest.mark.parametrize("codec", ["lm-ac-v1", "lm-ac-v2"])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(p=prompts())
def test_property_lossless_for_any_valid_prompt(codec: str, p: Prompt) -> None:
    spec = prompt_codec_by_name(codec)
    payload = encode_prompt(p, spec)
    assert decode_prompt(payload, spec) == p


def test_whole_file_round_trip_through_the_container() -> None:
    p = VECTORS[1][0]
    data = SemFile.create(p, prompt_codec="lm-ac-v1", seed=7).to_bytes()
    sem = decode_file(data)
    assert sem.prompt == p and sem.prompt_codec.name == "lm-ac-v1"


# ---------------------------------------------------------------------------
# Hostile payloads
# ---------------------------------------------------------------------------


def test_every_truncation_is_refused(any_model) -> None:
    for p, _ in VECTORS[1:]:
        payload = lm_ac.encode_with(any_model, p)
        for n in range(len(payload)):
            with pytest.raises(FormatError):
                lm_ac.decode_with(any_model, payload[:n])


def test_appended_bytes_are_refused(any_model) -> None:
    for p, _ in VECTORS:
        payload = lm_ac.encode_with(any_model, p)
        for tail in (b"\x00", b"\x01", b"\x80", b"\xff", b"\x00\x00", bytes(range(1, 9))):
            with pytest.raises(FormatError):
                lm_ac.decode_with(any_model, payload + tail)


def test_garbage_is_refused_or_is_a_genuine_encoding(any_model) -> None:
    rng = random.Random(66)
    refused = 0
    n = 300
    for _ in range(n):
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 80)))
        try:
            p = lm_ac.decode_with(any_model, junk)
        except FormatError:
            refused += 1
        else:  # a dense code accepts some strings; then they must be exactly canonical
            assert lm_ac.encode_with(any_model, p) == junk
    assert refused >= n * 9 // 10


def test_huge_claimed_sizes_fail_fast(any_model) -> None:
    """Payloads that describe over-long fields or too many objects are refused early."""

    def raw(build) -> bytes:
        e = lm_ac._Encoder(any_model)
        build(e)
        return e.rc.finish()

    long_word = raw(lambda e: e.field(M.F_SCENE, "q" * 5000))
    long_text = raw(lambda e: e.field(M.F_SCENE, "a red barn " * 400))
    long_number = raw(lambda e: e.field(M.F_LIGHTING, "9" * 3000))

    for payload in (long_word, long_text, long_number, raw(lambda e: code_many_objects(e, 40)), b"\xff" * 4096, b"\x7f" * 4096):
        t0 = time.perf_counter()
        with pytest.raises(FormatError):
            lm_ac.decode_with(any_model, payload)
        assert time.perf_counter() - t0 < 2.0


def test_non_canonical_spelling_is_refused(any_model) -> None:
    """A vocabulary word spelled letter by letter decodes but is not the canonical encoding."""
    e = lm_ac._Encoder(any_model)
    tid = any_model.ids[" red"]
    e.token(M.F_SCENE, M.END, M.END, None)  # escape through every table...
    e.spell(M.F_SCENE, " red")  # ...and spell a word the vocabulary has
    e.sym(any_model.groups[M.G_CASE].get((M.F_SCENE, 0, 0)), M.C_LOWER)
    e.token(M.F_SCENE, M.END, any_model.unk, M.END)
    e.flag(M.G_MORE, (0, 0, 0), 0)
    e.field(M.F_LIGHTING, "")
    e.flag(M.G_STYLE, (0, 0, 0), 0)
    payload = e.rc.finish()
    assert tid > 0
    with pytest.raises(FormatError, match="canonical"):
        lm_ac.decode_with(any_model, payload)


def test_decode_prompt_wraps_only_format_errors() -> None:
    with pytest.raises(FormatError):
        decode_prompt(b"", SPEC)


# ---------------------------------------------------------------------------
# Determinism: pinned vectors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("prompt,hexbytes", VECTORS)
def test_pinned_vectors(model, prompt, hexbytes) -> None:
    payload = lm_ac.encode_with(model, prompt)
    assert payload.hex() == hexbytes
    assert lm_ac.decode_with(model, bytes.fromhex(hexbytes)) == prompt


def test_spec_carries_the_vectors_and_the_model_hash() -> None:
    spec = (ROOT / "spec" / "promptcodec-lm-ac-v1.md").read_text(encoding="utf-8")
    assert M.MODELS[M.MODEL_FILE] in spec
    for _, hexbytes in VECTORS:
        assert hexbytes in spec
