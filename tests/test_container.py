import zlib

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from semcodec import varint
from semcodec.container import MAX_FILE_BYTES, MIN_FILE_BYTES, SemFile, decode, overhead_bytes
from semcodec.errors import FormatError, UnsupportedError
from semcodec.prompt import Prompt

from semcodec.testing.craft import file_with_items, header, small_window_frame, with_crc, zstd_payload

PROMPT = Prompt(
    "a cluttered home office with a wooden desk by a window",
    ("a silver laptop", "a ceramic mug of coffee", "two stacked notebooks"),
    "soft natural daylight from the left",
    "photo, 35mm",
)


def make(**kw) -> bytes:
    args = dict(decoder="sd-turbo", prompt_codec="zstd-dict-v1", seed=0, width=512, height=512, version=1)  # v1's tests
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
    no_seed = make(seed=None)
    assert len(make(seed=seed)) - len(no_seed) == extra


def test_no_seed_clears_the_flag():
    data = SemFile.create(PROMPT, decoder="gpt-image-2", seed=None, version=1).to_bytes()
    assert data[4] == 0 and decode(data).seed is None


def test_overhead_matches_the_file():
    data = make()
    codec = decode(data).prompt_codec
    from semcodec.promptcodec import encode_prompt

    assert len(data) == overhead_bytes(seed=0, width=512, height=512, version=1) + len(encode_prompt(PROMPT, codec))


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
    with pytest.raises(UnsupportedError, match="format version 255: the file needs a newer semcodec"):
        decode(with_crc(header(version=255) + b"\x00"))
    with pytest.raises(FormatError) as info:  # 0 is no version at all, not a future one
        decode(with_crc(header(version=0) + make()[12:-4]))
    assert type(info.value) is FormatError and str(info.value) == "invalid format version 0"
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


@pytest.mark.parametrize("field, what", [("decoder", "decoder"), ("codec", "prompt codec")])
def test_id_0_is_reserved_and_invalid_not_newer(field, what):
    with pytest.raises(FormatError) as info:
        decode(file_with_items(["s", [], ""], **{field: 0}))
    assert type(info.value) is FormatError
    assert str(info.value) == f"invalid {what} ID 0 (reserved)"


def test_minimum_file_size_is_14_bytes():
    assert MIN_FILE_BYTES == 14
    smallest_header = header(flags=0, width=1, height=1)
    assert len(smallest_header) == 9
    with pytest.raises(FormatError, match="truncated: 13 bytes, a v1 file has at least 14"):
        decode(with_crc(smallest_header))  # CRC-valid, but no payload byte
    with pytest.raises(FormatError) as info:  # 14 bytes passes the length check; the 1-byte payload is refused
        decode(with_crc(smallest_header + b"\x00"))
    assert "at least" not in str(info.value) and "CRC" not in str(info.value)


def test_decode_takes_bytes_like_and_checks_the_size_before_copying():
    import array
    import tracemalloc

    data = make()
    assert decode(bytearray(data)) == decode(memoryview(data)) == decode(data)
    wide = memoryview(array.array("I", [0] * 1025))  # len() 1025, but 4100 bytes
    with pytest.raises(FormatError, match="larger than 4096"):
        decode(wide)
    huge = bytearray(64 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="larger than 4096"):
            decode(memoryview(huge))
        with pytest.raises(FormatError, match="larger than 4096"):
            decode(huge)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # no copy of the 64 MiB buffer was made


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


def test_a_frame_with_a_window_above_128_kib_is_refused():
    bomb = zstd_payload(b"\x00" * 50_000_000, dictionary=False)  # level 19: an 8 MiB window
    assert len(bomb) < 3000
    with pytest.raises(FormatError, match="8388608-byte zstd window, the limit is 131072"):
        decode(with_crc(header() + bomb))


def test_a_small_window_bomb_is_stopped_by_the_output_cap():
    import resource
    import time

    import zstandard as zstd

    bomb = small_window_frame(b"\x00" * 10_000_000)
    assert zstd.get_frame_parameters(bomb, format=zstd.FORMAT_ZSTD1_MAGICLESS).window_size <= 128 * 1024
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(FormatError, match="decodes to more than 4096 bytes"):
        decode(with_crc(header() + bomb))
    assert time.perf_counter() - start < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 8 * 1024  # KiB: no 10 MB buffer


@pytest.mark.parametrize("n, refused", [(4096, False), (4097, True)])
def test_the_output_cap_is_exactly_4096_bytes(n, refused):
    frame = small_window_frame(b"a" * n)
    with pytest.raises(FormatError) as info:
        decode(with_crc(header() + frame))
    # 4096 bytes of "a" pass the cap and then fail as MessagePack; 4097 fail on the cap.
    assert ("decodes to more than 4096 bytes" in str(info.value)) is refused


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


def test_deeply_nested_msgpack_is_refused_with_a_reason():
    with pytest.raises(FormatError, match="malformed prompt msgpack: nested too deeply$"):
        decode(with_crc(header() + zstd_payload(b"\x91" * 3000 + b"\xa0")))


def test_oversize_input_refused():
    with pytest.raises(FormatError, match="larger than 4096"):
        decode(b"SEM\x01" + b"\x00" * MAX_FILE_BYTES)


VALID = make(seed=9)
VALID_LM = make(seed=9, prompt_codec="lm-ac-v1")
VALID_LM2 = make(seed=9, prompt_codec="lm-ac-v2")
BASES = (VALID, VALID_LM, VALID_LM2)


def _only_format_errors_or_a_consistent_decode(candidate: bytes) -> None:
    """The contract under fuzzing: FormatError, or a file that is valid through and through."""
    try:
        sem = decode(candidate)
    except FormatError:
        return
    sem.prompt.validate()
    again = sem.to_bytes()  # codec 1 may re-encode to other bytes; the meaning must survive
    assert decode(again) == sem
    if sem.prompt_codec.id in (2, 3) and not candidate[4] & 0xF0:
        assert again == candidate  # lm-ac payloads are canonical: only one encoding decodes


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_only_format_errors(data):
    for candidate in (data, b"SEM\x01" + data):
        _only_format_errors_or_a_consistent_decode(candidate)


_EDIT = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 4)),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASES), st.lists(_EDIT, min_size=1, max_size=6), st.booleans())
def test_fuzz_mutations_of_a_valid_file(base, edits, fix_crc):
    bad = bytearray(base)
    for op, pos, arg in edits:
        pos %= len(bad) + 1
        if op == "set" and pos < len(bad):
            bad[pos] = arg
        elif op == "insert":
            bad[pos:pos] = arg
        elif op == "delete":
            del bad[pos:pos + arg]
    candidate = with_crc(bytes(bad[:-4])) if fix_crc and len(bad) >= 4 else bytes(bad)
    _only_format_errors_or_a_consistent_decode(candidate)


_PREFIXES = (
    b"SEM\x01",  # random flags, IDs, varints, payload
    header(),  # random zstd-dict-v1 payload
    header(codec=2),  # random lm-ac-v1 payload
    header(codec=3),  # random lm-ac-v2 payload
    header(flags=0, decoder=7, codec=2, width=1024, height=1024),
    VALID[:12] + VALID[12:-4][:8],  # a valid zstd frame start, random rest
    VALID_LM[:12] + VALID_LM[12:-4][:6],  # a valid lm-ac-v1 start, random rest
    VALID_LM2[:12] + VALID_LM2[12:-4][:6],  # a valid lm-ac-v2 start, random rest
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_PREFIXES), st.binary(max_size=200))
def test_fuzz_crc_valid_random_bodies(prefix, body):
    """Random bodies with a correct CRC reach the field, varint and codec code behind the CRC check."""
    _only_format_errors_or_a_consistent_decode(with_crc(prefix + body))
