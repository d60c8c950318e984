"""Build valid and hostile .sem bytes (for tests and tools/make_vectors.py)."""

from __future__ import annotations

import zlib

import msgpack
import zstandard as zstd

from semcodec import varint
from semcodec.container import MAGIC


def with_crc(body: bytes) -> bytes:
    return body + zlib.crc32(body).to_bytes(4, "little")


def header(*, version=1, flags=1, decoder=1, codec=1, seed=0, width=512, height=512) -> bytes:
    out = bytearray(MAGIC) + bytes([version, flags]) + varint.encode(decoder) + varint.encode(codec)
    if flags & 1:
        out += varint.encode(seed)
    return bytes(out + varint.encode(width) + varint.encode(height))


def zstd_payload(raw: bytes, *, dictionary: bool = True) -> bytes:
    from semcodec.promptcodec import zstd_dict

    params = zstd.ZstdCompressionParameters.from_level(
        19, format=zstd.FORMAT_ZSTD1_MAGICLESS, write_content_size=0, write_checksum=0, write_dict_id=0
    )
    kw = {}
    if dictionary:
        kw["dict_data"] = zstd.ZstdCompressionDict(zstd_dict.dictionary_bytes(), dict_type=zstd.DICT_TYPE_FULLDICT)
    return zstd.ZstdCompressor(compression_params=params, **kw).compress(raw)


def small_window_frame(raw: bytes, *, window_log: int = 17) -> bytes:
    """A magic-less zstd frame (no dictionary, no content size) whose window fits the
    decoder's 128 KiB limit, so only the decoded-output cap can refuse it."""
    params = zstd.ZstdCompressionParameters(
        window_log=window_log,
        compression_level=19,
        format=zstd.FORMAT_ZSTD1_MAGICLESS,
        write_content_size=0,
        write_checksum=0,
        write_dict_id=0,
    )
    return zstd.ZstdCompressor(compression_params=params).compress(raw)


def file_with_items(items, **hdr) -> bytes:
    """A CRC-valid file whose payload is msgpack(items) compressed as zstd-dict-v1."""
    return with_crc(header(**hdr) + zstd_payload(msgpack.packb(items, use_bin_type=True)))
