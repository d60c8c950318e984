"""``zstd-dict-v1``: msgpack shape, zstd level 19, magic-less frame, trained dictionary.

The frame carries no magic, content size, dictionary ID or checksum (the
container's CRC covers integrity).  The dictionary file is pinned by this
codec's ID: its SHA-256 is checked on load and must never change.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

from ..errors import FormatError, MissingError
from ..prompt import Prompt
from . import MAX_RAW_BYTES
from .packing import pack, unpack

DICT_FILE = "zstd-dict-v1.bin"
DICT_SHA256 = "ecf6c83e0902de98ea82e56a5564968cb642f6b19d62d1baad1112095b0ec3da"  # frozen; checked on every load
LEVEL = 19
MAX_WINDOW = 1 << 17


@lru_cache(maxsize=1)
def dictionary_bytes() -> bytes:
    """The shipped dictionary, checked against its pinned SHA-256.

    A missing or altered file is a damaged installation, never a bad input:
    :class:`MissingError` (exit 4), like the lm-ac-v1 model file.
    """
    try:
        data = resources.files(__package__).joinpath("data", DICT_FILE).read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise MissingError(
            f"the zstd-dict-v1 dictionary {DICT_FILE} is missing ({reason}): the installation is damaged: reinstall semcodec"
        ) from None
    if hashlib.sha256(data).hexdigest() != DICT_SHA256:
        raise MissingError(
            f"{DICT_FILE} does not match the pinned SHA-256: the installation is damaged: reinstall semcodec"
        )
    return data


@lru_cache(maxsize=1)
def _codecs():
    import zstandard as zstd

    zdict = zstd.ZstdCompressionDict(dictionary_bytes(), dict_type=zstd.DICT_TYPE_FULLDICT)
    params = zstd.ZstdCompressionParameters.from_level(
        LEVEL,
        format=zstd.FORMAT_ZSTD1_MAGICLESS,
        write_content_size=0,
        write_checksum=0,
        write_dict_id=0,
    )
    cctx = zstd.ZstdCompressor(dict_data=zdict, compression_params=params)
    dctx = zstd.ZstdDecompressor(dict_data=zdict, max_window_size=MAX_WINDOW, format=zstd.FORMAT_ZSTD1_MAGICLESS)
    return zstd, cctx, dctx


def encode(prompt: Prompt) -> bytes:
    _, cctx, _ = _codecs()
    return cctx.compress(pack(prompt))


def decode(payload: bytes) -> Prompt:
    zstd, _, dctx = _codecs()
    if not payload:
        raise FormatError("empty prompt payload")
    try:
        params = zstd.get_frame_parameters(payload, format=zstd.FORMAT_ZSTD1_MAGICLESS)
        if params.content_size != zstd.CONTENTSIZE_UNKNOWN and params.content_size > MAX_RAW_BYTES:
            raise FormatError(f"prompt payload claims {params.content_size} bytes, the limit is {MAX_RAW_BYTES}")
        if params.window_size > MAX_WINDOW:
            raise FormatError(f"prompt payload needs a {params.window_size}-byte zstd window, the limit is {MAX_WINDOW}")
        # Output cap: decompress at most MAX_RAW_BYTES + 1 bytes of the first frame,
        # so a bomb costs a few KiB whatever it would expand to.
        with dctx.stream_reader(payload, read_across_frames=False) as reader:
            head = reader.read(MAX_RAW_BYTES + 1)
        if len(head) > MAX_RAW_BYTES:
            raise FormatError(f"prompt payload decodes to more than {MAX_RAW_BYTES} bytes")
        # Bounded too: refuses (without allocating more) a frame decoding to > MAX_RAW_BYTES.
        raw = dctx.decompress(payload, max_output_size=MAX_RAW_BYTES, allow_extra_data=False)
        # The C backend does not enforce allow_extra_data, so find the frame's end
        # with a streaming pass (safe now: the output is known to be small).
        stream = dctx.decompressobj()
        again = stream.decompress(payload)
        if not stream.eof:
            raise FormatError("corrupt prompt payload: the zstd frame is incomplete")
        if stream.unused_data:
            raise FormatError(f"corrupt prompt payload: {len(stream.unused_data)} bytes after the zstd frame")
        if again != raw:  # pragma: no cover - the two passes of one library disagree
            raise FormatError("corrupt prompt payload: inconsistent zstd decode")
    except zstd.ZstdError as exc:
        raise FormatError(f"corrupt prompt payload (zstd: {exc})") from None
    return unpack(raw)
