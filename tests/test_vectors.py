"""The committed test vectors pin the bytes of the format (spec section 9)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from semcodec.container import decode
from semcodec.errors import FormatError

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "spec" / "vectors"
INDEX = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("rel", sorted(INDEX["valid"]))
def test_valid_vector(rel):
    data = (VECTORS / rel).read_bytes()
    sem = decode(data)
    assert sem.to_json(len(data)) == INDEX["valid"][rel]
    assert rel.endswith("ancillary-flag.sem") or sem.to_bytes() == data  # re-encoding gives the same bytes


@pytest.mark.parametrize("rel", sorted(INDEX["invalid"]))
def test_invalid_vector(rel):
    data = (VECTORS / rel).read_bytes()
    with pytest.raises(FormatError) as info:
        decode(data)
    expected = INDEX["invalid"][rel]
    assert type(info.value).__name__ == expected["error"]
    assert str(info.value) == expected["message"]
    assert re.search(expected["expect"], str(info.value))


def test_vectors_regenerate_identically(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_vectors.py"), str(tmp_path)], check=True, capture_output=True)
    for rel in list(INDEX["valid"]) + list(INDEX["invalid"]) + ["index.json"]:
        assert (tmp_path / rel).read_bytes() == (VECTORS / rel).read_bytes(), rel


def test_spec_tables_match_the_registry():
    from semcodec.registry import DECODERS, PROMPT_CODECS

    spec = (ROOT / "spec" / "sem-v1.md").read_text(encoding="utf-8")
    for d in DECODERS:
        assert re.search(rf"^\| {d.id} \| {re.escape(d.name)} \|", spec, re.M), d.name
    for c in PROMPT_CODECS:
        assert re.search(rf"^\| {c.id} \| {re.escape(c.name)} \|", spec, re.M), c.name


def test_published_ids_never_change():
    from semcodec.registry import decoder_by_id, prompt_codec_by_id

    published = {1: "sd-turbo", 2: "sdxl-turbo", 3: "dalle3", 4: "gpt-image-1", 5: "gpt-image-1-mini", 6: "gpt-image-1.5", 7: "gpt-image-2", 8: "world-v1"}
    for ident, name in published.items():
        assert decoder_by_id(ident).name == name
    assert prompt_codec_by_id(1).name == "zstd-dict-v1"
    assert prompt_codec_by_id(2).name == "lm-ac-v1"


def test_spec_section_9_lists_every_vector_and_only_real_ones():
    import fnmatch

    spec = (ROOT / "spec" / "sem-v1.md").read_text(encoding="utf-8")
    section = spec[spec.index("## 9. "):spec.index("## 10. ")]
    named = re.findall(r"`((?:in)?valid/[^`]+\.sem)`", section)
    vectors = set(INDEX["valid"]) | set(INDEX["invalid"])
    for name in named:
        hits = fnmatch.filter(vectors, name)
        assert hits, f"spec section 9 names {name}, which is not a vector"
    for rel in vectors:
        assert any(fnmatch.fnmatch(rel, name) for name in named), f"{rel} is missing from spec section 9"
    on_disk = {f"{p.parent.name}/{p.name}" for p in VECTORS.glob("*/*.sem")}
    assert on_disk == vectors  # no stale vector files outside the index


def test_output_cap_vectors_fail_on_the_cap_not_the_window():
    import zstandard as zstd

    from semcodec.promptcodec.zstd_dict import MAX_WINDOW

    for rel in ("invalid/zstd-bomb.sem", "invalid/zstd-4097-bytes.sem"):
        payload = (VECTORS / rel).read_bytes()[12:-4]  # default 12-byte header: seed 0, 512x512
        window = zstd.get_frame_parameters(payload, format=zstd.FORMAT_ZSTD1_MAGICLESS).window_size
        assert window <= MAX_WINDOW, rel
        assert "more than 4096 bytes" in INDEX["invalid"][rel]["message"]
    payload = (VECTORS / "invalid/zstd-window-too-large.sem").read_bytes()[12:-4]
    assert zstd.get_frame_parameters(payload, format=zstd.FORMAT_ZSTD1_MAGICLESS).window_size > MAX_WINDOW
