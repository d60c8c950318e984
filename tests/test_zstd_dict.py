"""The zstd-dict-v1 dictionary, its training corpus and the held-out prompts."""

import hashlib
import importlib.util
import json
import sys
from importlib import resources
from pathlib import Path

import pytest

from semcodec.prompt import Prompt
from semcodec.promptcodec import zstd_dict

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "train-v1.jsonl"


def _tool(name):
    spec = importlib.util.spec_from_file_location(f"_semcodec_tool_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def train_dict():
    return _tool("train_dict")


@pytest.fixture(scope="module")
def corpus_prompts():
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [Prompt.from_dict(json.loads(line)) for line in lines]


@pytest.fixture(scope="module")
def heldout_prompts():
    text = resources.files("semcodec.bench").joinpath("data", "heldout-prompts.jsonl").read_text(encoding="utf-8")
    return [Prompt.from_dict(json.loads(line)) for line in text.splitlines() if line.strip()]


def test_shipped_dictionary_matches_the_pinned_sha256():
    path = ROOT / "semcodec" / "promptcodec" / "data" / zstd_dict.DICT_FILE
    data = path.read_bytes()
    assert zstd_dict.DICT_SHA256 is not None, "the dictionary must be frozen"
    assert hashlib.sha256(data).hexdigest() == zstd_dict.DICT_SHA256
    assert zstd_dict.dictionary_bytes() == data
    assert len(data) <= 64 * 1024
    assert data[:4] == b"\x37\xa4\x30\xec"  # a full zstd dictionary (entropy tables + content)
    assert int.from_bytes(data[4:8], "little") == 0x53454D31  # the fixed dictionary ID


@pytest.mark.parametrize(
    "attr, value, fragment",
    [
        ("DICT_SHA256", "0" * 64, "does not match the pinned SHA-256"),
        ("DICT_FILE", "no-such-dictionary.bin", "is missing"),
    ],
)
def test_a_damaged_or_missing_dictionary_is_a_damaged_installation(monkeypatch, attr, value, fragment):
    from semcodec.errors import EXIT_MISSING, MissingError

    monkeypatch.setattr(zstd_dict, attr, value)
    zstd_dict.dictionary_bytes.cache_clear()
    try:
        with pytest.raises(MissingError) as info:
            zstd_dict.dictionary_bytes()
    finally:
        monkeypatch.undo()
        zstd_dict.dictionary_bytes.cache_clear()
    message = str(info.value)
    assert fragment in message and message.endswith("the installation is damaged: reinstall semcodec")
    assert "\n" not in message and info.value.exit_code == EXIT_MISSING == 4
    assert hashlib.sha256(zstd_dict.dictionary_bytes()).hexdigest() == zstd_dict.DICT_SHA256


def test_retraining_the_corpus_reproduces_the_shipped_dictionary(train_dict, corpus_prompts):
    samples = train_dict.samples(corpus_prompts)
    assert train_dict.train(samples) == zstd_dict.dictionary_bytes()


def test_training_is_deterministic_and_depends_on_the_samples(train_dict, corpus_prompts):
    samples = train_dict.samples(corpus_prompts[:800])
    a = train_dict.train(samples, 4096)
    assert a == train_dict.train(samples, 4096)
    assert len(a) == 4096
    assert a != train_dict.train(train_dict.samples(corpus_prompts[800:1600]), 4096)


def test_the_corpus_file_is_exactly_what_the_generator_writes():
    make_corpus = _tool("make_corpus")
    assert make_corpus.dumps(make_corpus.generate()) == CORPUS.read_text(encoding="utf-8")


def test_every_corpus_line_is_a_valid_prompt(corpus_prompts):
    assert len(corpus_prompts) >= 3000
    assert len(set(corpus_prompts)) == len(corpus_prompts)
    sizes = [len(p.text().encode("utf-8")) for p in corpus_prompts]
    assert 60 <= min(sizes) and max(sizes) <= 420
    assert 0.2 < sum(p.style is not None for p in corpus_prompts) / len(corpus_prompts) < 0.8


def test_heldout_prompts_are_valid_varied_and_not_in_the_corpus(heldout_prompts, corpus_prompts):
    assert len(heldout_prompts) >= 60
    sizes = [len(p.text().encode("utf-8")) for p in heldout_prompts]
    assert min(sizes) < 40 and max(sizes) > 350
    scenes = {p.scene for p in corpus_prompts}
    objects = {o for p in corpus_prompts for o in p.objects}
    assert not any(p.scene in scenes for p in heldout_prompts)
    shared = sum(o in objects for p in heldout_prompts for o in p.objects)
    assert shared <= 3, f"{shared} held-out objects also occur verbatim in the training corpus"


def test_heldout_prompts_round_trip_and_the_dictionary_pays(heldout_prompts, train_dict):
    with_dict = 0
    for p in heldout_prompts:
        payload = zstd_dict.encode(p)
        assert zstd_dict.decode(payload) == p
        with_dict += len(payload)
    held = train_dict.samples(heldout_prompts)
    assert with_dict == train_dict.compressed_size(zstd_dict.dictionary_bytes(), held)
    assert with_dict < 0.75 * train_dict.compressed_size(None, held)


def test_a_long_incompressible_prompt_fits_the_decoder_window():
    import random

    import zstandard

    rng = random.Random(7)
    word = lambda n: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(n)).strip() or "x"
    p = Prompt(word(400), (word(100), word(100), word(100)), word(200), word(80))
    assert len(p.text().encode("utf-8")) > 950
    payload = zstd_dict.encode(p)
    window = zstandard.get_frame_parameters(payload, format=zstandard.FORMAT_ZSTD1_MAGICLESS).window_size
    assert window <= zstd_dict.MAX_WINDOW
    assert zstd_dict.decode(payload) == p
