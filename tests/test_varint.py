import pytest
from hypothesis import given, strategies as st

from semcodec import varint
from semcodec.errors import FormatError


@pytest.mark.parametrize("value, encoded", [(0, b"\x00"), (63, b"\x3f"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"), (2**32 - 1, b"\xff\xff\xff\xff\x0f")])
def test_known_encodings(value, encoded):
    assert varint.encode(value) == encoded
    assert varint.decode(encoded, 0, max_bytes=5, name="x") == (value, len(encoded))


@given(st.integers(0, 2**35))
def test_round_trip(value):
    enc = varint.encode(value)
    assert varint.decode(enc, 0, max_bytes=6, name="x") == (value, len(enc))


def test_rejects_overlong_truncated_and_too_long():
    with pytest.raises(FormatError, match="non-canonical"):
        varint.decode(b"\x81\x00", 0, max_bytes=2, name="width")
    with pytest.raises(FormatError, match="truncated in the width"):
        varint.decode(b"\x81", 0, max_bytes=2, name="width")
    with pytest.raises(FormatError, match="longer than 2 bytes"):
        varint.decode(b"\x81\x81\x01", 0, max_bytes=2, name="width")
