import zlib

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from semcodec import varint
from semcodec.container import MAX_FILE_BYTES, SemFile, decode, overhead_bytes
from semcodec.errors import FormatError, UnsupportedError
from semcodec.prompt import Prompt

from semcodec.testing.craft import file_with_items, header, with_crc, zstd_payload

PROMPT = Prompt(
    "a cluttered home office with a wooden desk by a window",
    ("a silver laptop", "a ceramic mug of coffee", "two stacked notebooks"),
    "soft natural daylight from the left",
    "photo, 35mm",
)


def make(**kw) -> bytes:
    args = dict(decoder="sd-turbo", prompt_codec="zstd-dict-v1", seed=0, width=512, height=512)
    args.update(kw)
    return SemFile.create(PROMPT, **args).to_bytes()


def test_round_trip_every_field():
    data = make(seed=5, width=768, height=512, decoder="sdxl-turbo")
    sem = decode(data)
    assert sem.prompt == PROMPT
    assert (sem.seed, sem.width, sem.height, sem.decoder.name, sem.prompt_codec.name) == (5, 768, 512, "sdxl-turbo", "zstd-dict-v1")
    assert sem.to_bytes() == data


def test_header_layout_is_as_specified():
    data = make(seed=7, width=300, height=200)
    assert data[:3] == b"SEM" and data[3] == 1 and data[4] == 0x01
    assert data[5] == 1 and data[6] == 1 and data[7] == 7
    assert data[8:10] == varint.encode(300) and data[10:12] == varint.encode(200)
    assert int.from_bytes(data[-4:], "little") == zlib.crc32(data[:-4])


@pytest.mark.parametrize("seed, extra", [(0, 1), (63, 1), (127, 1), (128, 2), (2**32 - 1, 5)])
def test_seed_costs(seed, extra):
    no_seed = SemFile.create(PROMPT, seed=None).to_bytes()
    assert len(make(seed=seed)) - len(no_seed) == extra


def test_no_seed_clears_the_flag():
    data = SemFile.create(PROMPT, decoder="gpt-image-2", seed=None).to_bytes()
    assert data[4] == 0 and decode(data).seed is None


def test_overhead_matches_the_file():
    data = make()
    payload = SemFile.create(PROMPT).prompt_codec
    from semcodec.promptcodec import encode_prompt

    assert len(data) == overhead_bytes(seed=0, width=512, height=512) + len(encode_prompt(PROMPT, payload))


def test_every_single_bit_flip_is_detected():
    data = make(seed=3)
    for i in range(len(data)):
        for bit in range(8):
            bad = bytearray(data)
            bad[i] ^= 1 << bit
            with pytest.raises(FormatError):
                decode(bytes(bad))


@pytest.mark.parametrize("cut", range(0, 40))
def test_truncation_at_every_length(cut):
    data = make()
    n = min(cut, len(data) - 1)
    with pytest.raises(FormatError):
        decode(data[:n])


def test_truncation_beyond_40_bytes():
    data = make()
    for n in range(40, len(data)):
        with pytest.raises(FormatError):
            decode(data[:n])


@pytest.mark.parametrize("tail", [b"\x00", b"\x00" * 4, b"\x00" * 9, b"SEM"])
def test_trailing_bytes_are_rejected(tail):
    with pytest.raises(FormatError, match="CRC"):
        decode(make() + tail)


def test_trailing_bytes_inside_a_crc_valid_file_are_rejected():
    good = make()
    crafted = with_crc(good)  # the old CRC becomes payload bytes after the zstd frame
    with pytest.raises(FormatError, match="corrupt prompt payload|trailing"):
        decode(crafted)


def test_bad_magic_and_version():
    with pytest.raises(FormatError, match="bad magic"):
        decode(b"PNG" + make()[3:])
    with pytest.raises(UnsupportedError, match="newer semcodec"):
        decode(with_crc(header(version=2) + b"\x00"))
    with pytest.raises(FormatError, match="truncated"):
        decode(b"SE")
    with pytest.raises(FormatError, match="empty file"):
        decode(b"")


def test_unknown_critical_flag_rejected_ancillary_ignored():
    items = [PROMPT.scene, list(PROMPT.objects), PROMPT.lighting]
    with pytest.raises(UnsupportedError, match="critical flag"):
        decode(file_with_items(items, flags=0x03))
    sem = decode(file_with_items(items, flags=0x81))
    assert sem.seed == 0 and sem.prompt.scene == PROMPT.scene


def test_unknown_ids_need_a_newer_semcodec():
    items = ["s", [], ""]
    with pytest.raises(UnsupportedError, match="decoder ID 99: the file needs a newer semcodec"):
        decode(file_with_items(items, decoder=99))
    with pytest.raises(UnsupportedError, match="prompt codec ID 99"):
        decode(file_with_items(items, codec=99))
    with pytest.raises(UnsupportedError, match="decoder ID 0"):
        decode(file_with_items(items, decoder=0))


@pytest.mark.parametrize("w, h", [(0, 10), (10, 0), (8193, 10), (10, 8193), (16383, 16383)])
def test_dimension_limits(w, h):
    with pytest.raises(FormatError, match="outside 1..8192"):
        decode(file_with_items(["s", [], ""], width=w, height=h))
    with pytest.raises(FormatError):
        SemFile.create(PROMPT, width=w, height=h).to_bytes()


def test_seed_range():
    body = header(seed=0)[:7] + b"\xff\xff\xff\xff\x1f" + varint.encode(512) * 2  # 2**36-1
    with pytest.raises(FormatError, match="seed"):
        decode(with_crc(body + zstd_payload(msgpack.packb(["s", [], ""]))))


def test_overlong_varint_rejected():
    body = b"SEM\x01\x01" + b"\x81\x00" + b"\x01\x00" + varint.encode(64) * 2
    with pytest.raises(FormatError, match="non-canonical"):
        decode(with_crc(body + zstd_payload(msgpack.packb(["s", [], ""]))))


def test_decompression_bomb_is_bounded():
    bomb = zstd_payload(b"\x00" * 50_000_000, dictionary=False)
    assert len(bomb) < 3000
    data = with_crc(header() + bomb)
    with pytest.raises(FormatError, match="corrupt prompt payload"):
        decode(data)


def test_bomb_with_declared_content_size_is_refused_before_allocating():
    import zstandard as zstd

    params = zstd.ZstdCompressionParameters.from_level(3, format=zstd.FORMAT_ZSTD1_MAGICLESS, write_content_size=1)
    frame = zstd.ZstdCompressor(compression_params=params).compress(b"\x00" * 10_000_000)
    with pytest.raises(FormatError, match="claims 10000000 bytes"):
        decode(with_crc(header() + frame))


@pytest.mark.parametrize(
    "items, fragment",
    [
        ({"scene": "s"}, "malformed prompt msgpack"),
        (["s", []], "array of 3 or 4"),
        (["s", [], "", "st", "x"], "array of 3 or 4"),
        ([1, [], ""], "scene must be a msgpack str"),
        (["s", "o", ""], "objects must be a msgpack array"),
        (["s", [1], ""], "objects must be msgpack strs"),
        (["s", [], None], "lighting must be a msgpack str"),
        (["s", [], "", None], "style must be a msgpack str"),
        (["s", [], b"bin"], "malformed prompt msgpack|lighting"),
        (["", [], ""], "scene must not be empty"),
        (["a\x00b", [], ""], "control character"),
    ],
)
def test_wrong_msgpack_shapes_and_types(items, fragment):
    with pytest.raises(FormatError, match=fragment):
        decode(file_with_items(items))


def test_invalid_utf8_and_trailing_msgpack():
    raw = b"\x93\xa2\xff\xfe\x90\xa0"  # [<invalid utf-8>, [], ""]
    with pytest.raises(FormatError, match="UTF-8"):
        decode(with_crc(header() + zstd_payload(raw)))
    raw = msgpack.packb(["s", [], ""]) + b"\xc0"
    with pytest.raises(FormatError, match="trailing bytes after the prompt"):
        decode(with_crc(header() + zstd_payload(raw)))


def test_oversize_input_refused():
    with pytest.raises(FormatError, match="larger than 4096"):
        decode(b"SEM\x01" + b"\x00" * MAX_FILE_BYTES)


VALID = make(seed=9)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_only_format_errors(data):
    for candidate in (data, b"SEM\x01" + data):
        try:
            decode(candidate)
        except FormatError:
            pass


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=6), st.booleans())
def test_fuzz_mutations_of_a_valid_file(edits, fix_crc):
    bad = bytearray(VALID)
    for pos, value in edits:
        bad[pos] = value
    candidate = with_crc(bytes(bad[:-4])) if fix_crc else bytes(bad)
    try:
        sem = decode(candidate)
    except FormatError:
        return
    assert isinstance(sem.prompt, Prompt)  # a CRC-valid mutation may decode, but only to a valid file
