"""The ``.sem`` v1 container: bytes <-> :class:`SemFile` (spec/sem-v1.md section 2).

Layout (all multi-byte integers are unsigned LEB128 varints unless stated)::

    magic      3 bytes  "SEM"
    version    1 byte   1
    flags      1 byte   bit 0 = seed present; bits 1-3 critical (must be 0);
                        bits 4-7 ancillary (written 0, ignored)
    decoder    varint   decoder ID      (1..2**14-1; 0 is reserved, invalid)
    codec      varint   prompt-codec ID (1..2**14-1; 0 is reserved, invalid)
    seed       varint   only if flags bit 0; 0..2**32-1
    width      varint   1..MAX_DIMENSION
    height     varint   1..MAX_DIMENSION
    payload    bytes    the prompt codec's bytes (at least 1), everything up to the CRC
    crc32      4 bytes  CRC-32 (ISO-HDLC, as zlib.crc32) of all preceding bytes, little-endian

The payload has no length field: it runs to the CRC, and every prompt codec is
self-delimiting and must consume it exactly, so appended bytes are refused both
by the CRC and by the codec.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from . import varint
from .errors import FormatError, UnsupportedError
from .prompt import Prompt
from .registry import (
    DEFAULT_PROMPT_CODEC,
    DecoderSpec,
    PromptCodecSpec,
    decoder_by_id,
    decoder_by_name,
    prompt_codec_by_id,
    prompt_codec_by_name,
)

MAGIC = b"SEM"
VERSION = 1
FLAG_SEED = 0x01
CRITICAL_FLAGS = 0x0F
KNOWN_CRITICAL_FLAGS = FLAG_SEED

MAX_DIMENSION = 8192  # width and height, each
MAX_SEED = 2**32 - 1
MAX_ID = 2**14 - 1  # two varint bytes
MAX_FILE_BYTES = 4096  # a decoder reads at most this many bytes
CRC_BYTES = 4
# magic, version, flags, 1-byte decoder and codec IDs, no seed, 1-byte width and
# height (9 header bytes), at least 1 payload byte, CRC: 14 bytes.
MIN_FILE_BYTES = len(MAGIC) + 1 + 1 + 1 + 1 + 1 + 1 + 1 + CRC_BYTES


def accept(prefix: bytes) -> bool:
    """Cheap magic check: could these first bytes start a .sem file?"""
    return prefix[: len(MAGIC)] == MAGIC


@dataclass(frozen=True)
class SemFile:
    """A decoded ``.sem`` file."""

    prompt: Prompt
    decoder: DecoderSpec
    prompt_codec: PromptCodecSpec
    seed: int | None
    width: int
    height: int
    version: int = VERSION

    @classmethod
    def create(
        cls,
        prompt: Prompt,
        *,
        decoder: str = "sd-turbo",
        prompt_codec: str = DEFAULT_PROMPT_CODEC,
        seed: int | None = 0,
        width: int = 512,
        height: int = 512,
    ) -> "SemFile":
        return cls(
            prompt=prompt,
            decoder=decoder_by_name(decoder),
            prompt_codec=prompt_codec_by_name(prompt_codec),
            seed=seed,
            width=width,
            height=height,
        )

    def to_bytes(self) -> bytes:
        return encode(self)

    def bpp(self, file_bytes: int | None = None) -> float:
        n = len(self.to_bytes()) if file_bytes is None else file_bytes
        return bpp(n, self.width, self.height)

    def to_json(self, file_bytes: int) -> dict:
        """The JSON form of spec section 5 (what ``seminfo --json`` prints)."""
        return {
            "format_version": self.version,
            "decoder": {"id": self.decoder.id, "name": self.decoder.name},
            "prompt_codec": {"id": self.prompt_codec.id, "name": self.prompt_codec.name},
            "seed": self.seed,
            "width": self.width,
            "height": self.height,
            "prompt": self.prompt.to_dict(),
            "file_bytes": file_bytes,
            "bpp": bpp(file_bytes, self.width, self.height),
        }


def _check_dims(width: int, height: int) -> None:
    for name, v in (("width", width), ("height", height)):
        if not 1 <= v <= MAX_DIMENSION:
            raise FormatError(f"{name} {v} is outside 1..{MAX_DIMENSION}")


def _header(decoder_id: int, codec_id: int, seed: int | None, width: int, height: int) -> bytes:
    """Fields 1-8 of spec section 2 (everything before the payload)."""
    out = bytearray(MAGIC)
    out += bytes([VERSION, FLAG_SEED if seed is not None else 0])
    out += varint.encode(decoder_id) + varint.encode(codec_id)
    if seed is not None:
        out += varint.encode(seed)
    return bytes(out + varint.encode(width) + varint.encode(height))


def encode(sem: SemFile) -> bytes:
    """Serialise; raises FormatError/PromptError for values the format cannot hold."""
    from .promptcodec import encode_prompt

    _check_dims(sem.width, sem.height)
    if sem.seed is not None and not 0 <= sem.seed <= MAX_SEED:
        raise FormatError(f"seed {sem.seed} is outside 0..{MAX_SEED}")
    out = bytearray(_header(sem.decoder.id, sem.prompt_codec.id, sem.seed, sem.width, sem.height))
    out += encode_prompt(sem.prompt, sem.prompt_codec)
    if len(out) + CRC_BYTES > MAX_FILE_BYTES:
        raise FormatError(f"the file would be {len(out) + CRC_BYTES} bytes, the limit is {MAX_FILE_BYTES}")
    out += zlib.crc32(out).to_bytes(CRC_BYTES, "little")
    return bytes(out)


def decode(data: bytes) -> SemFile:
    """Parse and validate a whole file.  Only FormatError (or its subclass) escapes."""
    from .errors import PromptError
    from .promptcodec import decode_prompt

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("decode() takes bytes")
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > MAX_FILE_BYTES:  # checked before copying: a huge buffer is never duplicated
        raise FormatError(f"file is larger than {MAX_FILE_BYTES} bytes")
    data = bytes(data)
    if not data:
        raise FormatError("empty file, not a .sem file")
    if not accept(data):
        if MAGIC.startswith(data):
            raise FormatError(f"truncated: {len(data)} bytes, the file header is incomplete")
        raise FormatError("not a .sem file (bad magic)")
    if len(data) < len(MAGIC) + 1:
        raise FormatError("truncated before the version byte")
    version = data[3]
    if version == 0:
        raise FormatError("invalid format version 0")
    if version != VERSION:
        raise UnsupportedError(f"format version {version}: the file needs a newer semcodec (this one reads version {VERSION})")
    if len(data) < MIN_FILE_BYTES:
        raise FormatError(f"truncated: {len(data)} bytes, a v1 file has at least {MIN_FILE_BYTES}")
    # The CRC is checked before any field is interpreted: a damaged file is
    # reported as damaged, not as whatever its damaged fields happen to say.
    body, stored = data[:-CRC_BYTES], int.from_bytes(data[-CRC_BYTES:], "little")
    if zlib.crc32(body) != stored:
        raise FormatError("CRC mismatch: the file is corrupt, truncated or has trailing bytes")
    flags = body[4]
    unknown = flags & CRITICAL_FLAGS & ~KNOWN_CRITICAL_FLAGS
    if unknown:
        raise UnsupportedError(f"unknown critical flag bits 0x{unknown:02x}: the file needs a newer semcodec")
    pos = 5
    decoder_id, pos = varint.decode(body, pos, max_bytes=2, name="decoder ID")
    codec_id, pos = varint.decode(body, pos, max_bytes=2, name="prompt-codec ID")
    seed = None
    if flags & FLAG_SEED:
        seed, pos = varint.decode(body, pos, max_bytes=5, name="seed")
        if seed > MAX_SEED:
            raise FormatError(f"seed {seed} is outside 0..{MAX_SEED}")
    width, pos = varint.decode(body, pos, max_bytes=2, name="width")
    height, pos = varint.decode(body, pos, max_bytes=2, name="height")
    _check_dims(width, height)
    decoder = decoder_by_id(decoder_id)
    codec = prompt_codec_by_id(codec_id)
    try:
        prompt = decode_prompt(body[pos:], codec)
    except PromptError as exc:
        raise FormatError(f"invalid prompt: {exc}") from None
    return SemFile(prompt=prompt, decoder=decoder, prompt_codec=codec, seed=seed, width=width, height=height)


def read(path) -> tuple[SemFile, int]:
    """Read a file from disk (bounded) and decode it; return (SemFile, file size)."""
    from .io import read_bounded

    data = read_bounded(path, MAX_FILE_BYTES, what=".sem file")
    try:
        return decode(data), len(data)
    except FormatError as exc:
        raise type(exc)(f"{path}: {exc}") from None


def overhead_bytes(*, seed: int | None, width: int, height: int, decoder_id: int = 1, codec_id: int = 1) -> int:
    """Bytes of a file that are not payload: header plus CRC."""
    return len(_header(decoder_id, codec_id, seed, width, height)) + CRC_BYTES


def bpp(file_bytes: int, width: int, height: int) -> float:
    return 8.0 * file_bytes / (width * height)

