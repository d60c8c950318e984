"""The committed test vectors pin the bytes of the format (spec section 9)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from semcodec.container import decode, decode_packet, from_text, to_text
from semcodec.errors import FormatError

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "spec" / "vectors"
INDEX = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))


def _decode(rel: str, data: bytes):
    """v2 packets (``.semp``) through decode_packet; v1 and v2 files through decode; text forms
    (``.sem.txt``, ``.semp.txt``, spec/sem-v2.md 7.4) through from_text first."""
    if rel.endswith(".txt"):
        rel, data = rel[:-4], from_text(data.decode("ascii"), packet=rel.endswith(".semp.txt"))
    return decode_packet(data) if rel.endswith(".semp") else decode(data)


def _bytes(rel: str) -> bytes:
    """The file's or packet's bytes (a text form decoded)."""
    data = (VECTORS / rel).read_bytes()
    return from_text(data.decode("ascii"), packet=rel.endswith(".semp.txt")) if rel.endswith(".txt") else data


def _is_v2(rel: str) -> bool:
    return rel.split("/", 1)[1].startswith("v2-")


@pytest.mark.parametrize("rel", sorted(INDEX["valid"]))
def test_valid_vector(rel):
    data = (VECTORS / rel).read_bytes()
    sem = _decode(rel, data)
    assert sem.to_json(len(_bytes(rel))) == INDEX["valid"][rel]
    assert sem.version == (2 if _is_v2(rel) else 1)
    again = sem.to_packet() if rel.endswith((".semp", ".semp.txt")) else sem.to_bytes()
    if rel.endswith(".txt"):
        again = to_text(again).encode("ascii")  # one line, no line break
    assert rel.endswith(("ancillary-flag.sem", "ancillary-ext.sem")) or again == data  # re-encoding gives the same bytes


@pytest.mark.parametrize("rel", sorted(INDEX["invalid"]))
def test_invalid_vector(rel):
    data = (VECTORS / rel).read_bytes()
    with pytest.raises(FormatError) as info:
        _decode(rel, data)
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


@pytest.mark.parametrize("doc, section, v2", [("sem-v1.md", ("## 9. ", "## 10. "), False), ("sem-v2.md", ("## 8. ", "## 9. "), True)])
def test_spec_vector_section_lists_every_vector_and_only_real_ones(doc, section, v2):
    import fnmatch

    spec = (ROOT / "spec" / doc).read_text(encoding="utf-8")
    text = spec[spec.index(section[0]):spec.index(section[1])]
    named = re.findall(r"`((?:in)?valid/[^`]+\.semp?(?:\.txt)?)`", text)
    vectors = {rel for rel in set(INDEX["valid"]) | set(INDEX["invalid"]) if _is_v2(rel) == v2}
    for name in named:
        hits = fnmatch.filter(vectors, name)
        assert hits, f"{doc} names {name}, which is not a vector of that version"
    for rel in vectors:
        assert any(fnmatch.fnmatch(rel, name) for name in named), f"{rel} is missing from {doc} {section[0]}"


def test_no_stale_vector_files():
    on_disk = {f"{p.parent.name}/{p.name}" for p in VECTORS.glob("*/*") if p.suffix in (".sem", ".semp", ".txt")}
    assert on_disk == set(INDEX["valid"]) | set(INDEX["invalid"])  # no stale vector files outside the index


def test_every_truncation_of_a_v2_file_and_packet_is_a_vector():
    for name, suffix in (("v2-default", ".sem"), ("v2-packet", ".semp")):
        n = len((VECTORS / "valid" / f"{name}{suffix}").read_bytes())
        prefix = "v2-truncated" if suffix == ".sem" else "v2-packet-truncated"
        assert {f"invalid/{prefix}-{i}{suffix}" for i in range(n)} <= set(INDEX["invalid"])


def test_v2_default_vector_has_6_bytes_of_overhead():
    from semcodec.promptcodec import encode_prompt

    sem = decode((VECTORS / "valid/v2-default.sem").read_bytes())
    payload = len(encode_prompt(sem.prompt, sem.prompt_codec))
    assert len((VECTORS / "valid/v2-default.sem").read_bytes()) == payload + 6
    assert len((VECTORS / "valid/v2-packet.semp").read_bytes()) == payload + 3


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


def test_v2_spec_size_class_table_and_crc_match_the_code():
    from semcodec.container import SIZE_CLASSES, crc16

    spec = (ROOT / "spec" / "sem-v2.md").read_text(encoding="utf-8")
    rows = [tuple(map(int, m)) for m in re.findall(r"^\| (\d+) \| (\d+) \| (\d+) \|$", spec, re.M)]
    assert rows == [(code, w, h) for code, (w, h) in enumerate(SIZE_CLASSES, 1)]
    assert f"**`0x{crc16(b'123456789'):04X}`**" in spec
    assert "| 33 … 63 | reserved |" in spec and len(SIZE_CLASSES) == 32


def test_the_text_vectors_are_the_text_of_their_file_and_packet():
    for name in ("v2-default.sem", "v2-packet.semp"):
        text = (VECTORS / "valid" / f"{name}.txt").read_bytes()
        assert b"\n" not in text and b"=" not in text
        assert text == to_text((VECTORS / "valid" / name).read_bytes()).encode("ascii")
        assert INDEX["valid"][f"valid/{name}.txt"] == INDEX["valid"][f"valid/{name}"]
