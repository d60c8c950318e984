"""Container v2 and its packet form (spec/sem-v2.md)."""

import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from semcodec import container, varint
from semcodec.container import (
    MAGIC_V2,
    MAX_FILE_BYTES,
    MAX_PACKET_BYTES,
    SIZE_CLASSES,
    SemFile,
    accept,
    crc16,
    decode,
    decode_packet,
    encode,
    encode_packet,
    overhead_bytes,
    packet_overhead_bytes,
)
from semcodec.errors import FormatError, UnsupportedError
from semcodec.prompt import Prompt
from semcodec.promptcodec import encode_prompt

PROMPT = Prompt(
    "a cluttered home office with a wooden desk by a window",
    ("a silver laptop", "a ceramic mug of coffee", "two stacked notebooks"),
    "soft natural daylight from the left",
    "photo, 35mm",
)


def make(**kw) -> SemFile:
    args = dict(decoder="sd-turbo", prompt_codec="lm-ac-v2", seed=0, width=512, height=512, version=2)
    args.update(kw)
    return SemFile.create(PROMPT, **args)


def with_crc16(body: bytes) -> bytes:
    return body + crc16(body).to_bytes(2, "little")


def test_crc16_check_value_and_appended_zeros():
    assert crc16(b"123456789") == 0x906E  # CRC-16/IBM-SDLC (ISO-HDLC, X-25)
    assert crc16(b"") == 0x0000
    data = make().to_bytes()
    assert int.from_bytes(data[-2:], "little") == crc16(data[:-2])
    # The final XOR matters: without it (e.g. CRC-16/IBM-3740) a valid file with a
    # 0x00 appended has a valid CRC again.  Here the CRC itself refuses it.
    for zeros in range(1, 5):
        with pytest.raises(FormatError, match="CRC-16 mismatch"):
            decode(data + bytes(zeros))


def test_round_trip_and_layout_of_the_common_case():
    sem = make(seed=5)
    data = sem.to_bytes()
    assert data[0] == 0xF5 and data[1] == 0x13 and data[2] == 0x81 and data[3] == 5
    payload = encode_prompt(PROMPT, sem.prompt_codec)
    assert data[4:-2] == payload and len(data) == 6 + len(payload)
    back = decode(data)
    assert back == sem and back.version == 2 and back.to_bytes() == data
    assert back.to_json(len(data))["format_version"] == 2


def test_v2_is_the_default_written_and_a_v1_file_keeps_its_version():
    new = SemFile.create(PROMPT)
    assert new.version == 2 and new.to_bytes()[0] == MAGIC_V2 and encode(new) == encode(new, version=2)
    v1 = SemFile.create(PROMPT, version=1)
    assert v1.to_bytes()[:4] == b"SEM\x01" and encode(v1) == encode(v1, version=1)
    assert decode(v1.to_bytes()).version == 1 and decode(v1.to_bytes()).to_bytes() == v1.to_bytes()
    v2 = encode(v1, version=2)
    assert v2 == new.to_bytes() and decode(v2).version == 2
    assert decode(v2) == SemFile.create(PROMPT, version=2) == new
    assert encode(decode(v2), version=1) == v1.to_bytes()
    with pytest.raises(ValueError):
        encode(v1, version=3)


@pytest.mark.parametrize("kw, overhead, packet", [
    (dict(), 6, 3),
    (dict(seed=None), 5, 2),
    (dict(seed=127), 6, 3),
    (dict(seed=128), 7, 4),
    (dict(seed=2**32 - 1), 10, 7),
    (dict(width=300, height=200), 10, 7),
    (dict(width=100, height=120), 8, 5),
    (dict(width=8192, height=8192), 10, 7),
    (dict(width=1920, height=1080), 6, 3),
    (dict(decoder="gpt-image-2", seed=None, width=1024, height=1024), 5, 2),
])
def test_overhead(kw, overhead, packet):
    sem = make(**kw)
    payload = len(encode_prompt(PROMPT, sem.prompt_codec))
    ids = dict(seed=sem.seed, width=sem.width, height=sem.height, decoder_id=sem.decoder.id, codec_id=sem.prompt_codec.id)
    assert len(sem.to_bytes()) - payload == overhead == overhead_bytes(**ids, version=2)
    assert len(sem.to_packet()) - payload == packet == packet_overhead_bytes(**ids)
    assert overhead_bytes(**ids) == overhead  # v2 is the default
    assert overhead_bytes(**ids, version=1) - overhead >= 6


def test_every_size_class_round_trips_and_exact_sizes_use_the_escape():
    assert len(SIZE_CLASSES) == len(set(SIZE_CLASSES)) <= 63
    for code, (w, h) in enumerate(SIZE_CLASSES, 1):
        data = make(width=w, height=h).to_bytes()
        assert data[2] & 0x3F == code and decode(data).width == w and decode(data).height == h
    data = make(width=513, height=512).to_bytes()
    assert data[2] & 0x3F == 0 and data[3:6] == varint.encode(513) + varint.encode(512)[:1]


def test_packet_is_the_file_without_magic_and_crc():
    for kw in (dict(), dict(seed=None), dict(width=77, height=9000 - 808), dict(prompt_codec="zstd-dict-v1")):
        sem = make(**kw)
        assert sem.to_bytes()[1:-2] == encode_packet(sem)
        assert decode_packet(encode_packet(sem)) == sem


def test_accept_and_dispatch():
    assert accept(b"SEM") and accept(b"\xf5") and accept(make().to_bytes()[:2])
    assert not accept(b"S") and not accept(b"\xf6") and not accept(b"")
    with pytest.raises(UnsupportedError, match="format version 3"):
        decode(b"\xf6" + make().to_bytes()[1:])
    with pytest.raises(UnsupportedError, match="format version 12"):
        decode(b"\xff\x00")
    with pytest.raises(FormatError, match="bad magic"):
        decode(b"\xf4" + make().to_bytes()[1:])


def test_every_truncation_is_a_format_error():
    for sem in (make(), make(seed=None, width=301, height=7)):
        data = sem.to_bytes()
        for n in range(len(data)):
            with pytest.raises(FormatError):
                decode(data[:n])
        packet = sem.to_packet()
        for n in range(len(packet)):
            with pytest.raises(FormatError):
                decode_packet(packet[:n])


def test_every_single_bit_flip_and_every_trailing_byte_is_detected():
    data = make(seed=3).to_bytes()
    for i in range(len(data)):
        for bit in range(8):
            bad = bytearray(data)
            bad[i] ^= 1 << bit
            with pytest.raises(FormatError):
                decode(bytes(bad))
    for b in range(256):
        with pytest.raises(FormatError):
            decode(data + bytes([b]))


def test_trailing_bytes_in_a_crc_valid_file_and_in_a_packet_are_rejected():
    data = make().to_bytes()
    with pytest.raises(FormatError, match="prompt"):
        decode(with_crc16(data[:-2] + b"\x00"))
    with pytest.raises(FormatError, match="prompt"):
        decode_packet(make().to_packet() + b"\x00")


def test_extension_flags():
    packet = make().to_packet()
    with_ext = bytes([packet[0], packet[1] | 0x40])
    assert decode_packet(with_ext + b"\x80" + packet[2:]) == make()  # ancillary bits ignored
    with pytest.raises(UnsupportedError, match="critical extension bits 0x01"):
        decode_packet(with_ext + b"\x01" + packet[2:])
    with pytest.raises(UnsupportedError, match="critical extension bits 0x08"):
        decode(with_crc16(b"\xf5" + with_ext + b"\xf8" + packet[2:]))
    with pytest.raises(FormatError, match="non-canonical"):
        decode_packet(with_ext + b"\x00" + packet[2:])


def test_reserved_size_class_and_non_canonical_exact_size():
    packet = make().to_packet()
    reserved = len(SIZE_CLASSES) + 1
    with pytest.raises(UnsupportedError, match=f"unknown size class {reserved}"):
        decode_packet(bytes([packet[0], 0x80 | reserved]) + packet[2:])
    with pytest.raises(FormatError, match="non-canonical"):
        decode_packet(bytes([packet[0], 0x80]) + varint.encode(512) * 2 + packet[2:])
    for w, h in ((0, 5), (5, 0), (8193, 5), (5, 8193)):
        with pytest.raises(FormatError, match="outside"):
            decode_packet(bytes([packet[0], 0x80]) + varint.encode(w) + varint.encode(h) + packet[2:])


def test_ids_nibbles_escapes_and_reserved():
    packet = make().to_packet()
    rest = packet[2:]
    with pytest.raises(FormatError, match="invalid decoder ID 0"):
        decode_packet(bytes([0x03, packet[1]]) + rest)
    with pytest.raises(FormatError, match="invalid prompt codec ID 0"):
        decode_packet(bytes([0x10, packet[1]]) + rest)
    with pytest.raises(UnsupportedError, match="unknown decoder ID 14"):
        decode_packet(bytes([0xE3, packet[1]]) + rest)
    with pytest.raises(UnsupportedError, match="unknown decoder ID 99"):
        decode_packet(bytes([0xF3, packet[1], 99]) + rest)
    with pytest.raises(UnsupportedError, match="unknown prompt codec ID 200"):
        decode_packet(bytes([0x1F, packet[1]]) + varint.encode(200) + rest)
    with pytest.raises(FormatError, match="non-canonical"):
        decode_packet(bytes([0xF3, packet[1], 1]) + rest)
    with pytest.raises(FormatError, match="longer than 2 bytes"):
        decode_packet(bytes([0xF3, packet[1], 0x80, 0x80, 0x01]) + rest)


def test_escaped_ids_round_trip(monkeypatch):
    """No published ID is 15 or more yet: give sd-turbo and lm-ac-v2 big IDs to walk the escape path."""
    import dataclasses

    from semcodec import registry

    dec = dataclasses.replace(registry.decoder_by_name("sd-turbo"), id=300)
    cod = dataclasses.replace(registry.prompt_codec_by_name("lm-ac-v2"), id=15)
    monkeypatch.setattr(container, "decoder_by_id", lambda i: dec if i == 300 else registry.decoder_by_id(i))
    monkeypatch.setattr(container, "prompt_codec_by_id", lambda i: cod if i == 15 else registry.prompt_codec_by_id(i))
    sem = dataclasses.replace(make(), decoder=dec, prompt_codec=cod)
    data = sem.to_bytes()
    assert data[1:3] == b"\xff\x81" and data[3:6] == varint.encode(300) + varint.encode(15)
    assert decode(data) == sem and decode_packet(sem.to_packet()) == sem


def test_seed_range_and_limits():
    packet = make(seed=None).to_packet()
    with pytest.raises(FormatError, match="seed 4294967296 is outside"):
        decode_packet(bytes([packet[0], packet[1] | 0x80]) + varint.encode(2**32) + packet[2:])
    with pytest.raises(FormatError, match="seed"):
        encode(make(seed=2**32), version=2)
    with pytest.raises(FormatError, match="larger than"):
        decode(bytes([MAGIC_V2]) + bytes(MAX_FILE_BYTES))
    with pytest.raises(FormatError, match=f"larger than {MAX_PACKET_BYTES}"):
        decode_packet(bytes(MAX_PACKET_BYTES + 1))
    with pytest.raises(FormatError, match="empty packet"):
        decode_packet(b"")
    with pytest.raises(TypeError):
        decode_packet("abc")


def test_packet_size_is_checked_before_copying():
    import tracemalloc

    huge = bytearray(64 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="larger than"):
            decode_packet(memoryview(huge))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024


# ---------------------------------------------------------------------------
# Fuzzing: only FormatError/UnsupportedError escape, and what decodes is valid.
# ---------------------------------------------------------------------------

BASES = [make().to_bytes(), make(seed=None, decoder="gpt-image-2").to_bytes(), make(width=333, height=4000).to_bytes(),
         make(prompt_codec="zstd-dict-v1", seed=70000).to_bytes(), make(prompt_codec="lm-ac-v1").to_bytes()]
PACKETS = [b[1:-2] for b in BASES]


def _consistent(candidate: bytes, *, packet: bool) -> None:
    try:
        sem = decode_packet(candidate) if packet else decode(candidate)
    except FormatError:
        return
    sem.prompt.validate()
    again = sem.to_packet() if packet else sem.to_bytes()
    assert (decode_packet(again) if packet else decode(again)) == sem
    extended = (candidate[1] if packet else candidate[2] if candidate[:1] == b"\xf5" else 0) & 0x40
    if sem.prompt_codec.id in (2, 3) and not extended and (packet or candidate[:1] == b"\xf5"):
        assert again == candidate  # v2 headers and lm-ac payloads are canonical


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data):
    _consistent(data, packet=True)
    _consistent(b"\xf5" + data, packet=False)
    _consistent(with_crc16(b"\xf5" + data), packet=False)


_EDIT = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 4)),
)


def _mutate(base: bytes, edits) -> bytes:
    bad = bytearray(base)
    for op, pos, arg in edits:
        pos %= len(bad) + 1
        if op == "set" and pos < len(bad):
            bad[pos] = arg
        elif op == "insert":
            bad[pos:pos] = arg
        elif op == "delete":
            del bad[pos:pos + arg]
    return bytes(bad)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASES), st.lists(_EDIT, min_size=1, max_size=6), st.booleans())
def test_fuzz_mutations_of_valid_files(base, edits, fix_crc):
    bad = _mutate(base, edits)
    _consistent(with_crc16(bad[:-2]) if fix_crc and len(bad) >= 2 else bad, packet=False)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PACKETS), st.lists(_EDIT, min_size=1, max_size=6))
def test_fuzz_mutations_of_valid_packets(base, edits):
    _consistent(_mutate(base, edits), packet=True)


def test_seeded_single_byte_corruption_loop():
    """A plain seeded loop beside hypothesis: CRC-16 lets no single-byte change through."""
    rng = random.Random(13)
    for _ in range(2000):
        base = rng.choice(BASES)
        i = rng.randrange(len(base))
        bad = bytearray(base)
        bad[i] ^= rng.randrange(1, 256)
        with pytest.raises(FormatError):
            decode(bytes(bad))


def test_measure_integrity_tool_runs_and_is_seeded():
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parent.parent / "tools" / "measure_integrity.py"
    runs = [subprocess.run([sys.executable, str(tool), "--trials", "40", "--seed", "5"], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    out = runs[0]
    assert "v2" in out and "packet" in out and "bits/char" in out and "truncate" in out
    assert [line for line in runs[0].splitlines() if "(" in line and " s)" not in line] == \
           [line for line in runs[1].splitlines() if "(" in line and " s)" not in line]
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split() and line.split()[0] in ("byte", "multi")}
    assert rows["byte"][1] == "0" and rows["byte"][4] == "0"  # v1 and v2 (CRC) accept no single-byte change


# -- the text form (section 7.4) ---------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=MAX_FILE_BYTES))
def test_text_form_round_trips_and_is_rfc4648_base64url_unpadded(data):
    import base64

    from semcodec.container import from_text, text_chars, to_text

    text = to_text(data)
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=") and len(text) == text_chars(len(data))
    assert from_text(text) == data


@pytest.mark.parametrize("text, fragment", [
    ("", "empty text"),
    ("9ROBAAI50DkYmw==", "padding '=' is not written"),
    ("9ROBAAI50DkY mw", "whitespace is not allowed"),
    ("9ROBAAI50DkYmw\n", "whitespace is not allowed"),
    ("9ROBAAI50DkYm+", "not in the alphabet"),  # standard base64's '+', not base64url's '-'
    ("9ROBAAI50DkY/w", "not in the alphabet"),
    ("9ROBAAI50DkYmé", "not in the alphabet"),
    ("9ROBA", "4n\\+1"),
    ("9ROBAAI50DkYmx", "non-canonical"),  # x = 49: its low 4 bits are not 0
])
def test_bad_text_is_one_clear_format_error(text, fragment):
    from semcodec.container import from_text

    with pytest.raises(FormatError, match=fragment) as info:
        from_text(text)
    assert "\n" not in str(info.value)


def test_text_longer_than_the_largest_file_is_refused_before_decoding():
    from semcodec.container import MAX_PACKET_TEXT_CHARS, MAX_TEXT_CHARS, from_text, to_text

    assert (MAX_TEXT_CHARS, MAX_PACKET_TEXT_CHARS) == (5462, 5458)
    assert len(to_text(b"\xff" * MAX_FILE_BYTES)) == MAX_TEXT_CHARS
    with pytest.raises(FormatError, match="5463 characters; a .sem file is at most 5462"):
        from_text("A" * 5463)
    with pytest.raises(FormatError, match="a packet is at most 5458"):
        from_text("A" * 5459, packet=True)
    with pytest.raises(FormatError, match="at most 5462"):
        from_text("!" * 10**7)  # refused on its length, not scanned


def test_decode_text_reads_files_and_packets_and_never_guesses():
    from semcodec.container import decode_text, to_text

    sem = make()
    f, p = to_text(sem.to_bytes()), to_text(sem.to_packet())
    assert decode_text(f) == (sem, len(sem.to_bytes()))
    assert decode_text(p, packet=True) == (sem, len(sem.to_packet()))
    with pytest.raises(FormatError):
        decode_text(p)
    with pytest.raises(FormatError):
        decode_text(f, packet=True)
