"""Unsigned LEB128 varints, canonical form only (spec section 2.2)."""

from __future__ import annotations

from .errors import FormatError


def encode(value: int) -> bytes:
    if value < 0:
        raise ValueError("varint must be non-negative")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode(data: bytes, pos: int, *, max_bytes: int, name: str) -> tuple[int, int]:
    """Read one varint at ``pos``; return (value, new_pos).

    Refuses a truncated varint, one longer than ``max_bytes`` and a
    non-canonical one (a final byte of 0x00 after a continuation byte).
    """
    value = 0
    shift = 0
    for i in range(max_bytes):
        if pos >= len(data):
            raise FormatError(f"truncated in the {name} field")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise FormatError(f"non-canonical varint in the {name} field")
            return value, pos
        shift += 7
    raise FormatError(f"the {name} field is longer than {max_bytes} bytes")
