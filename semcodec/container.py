"""The ``.sem`` containers: bytes <-> :class:`SemFile`.

Version 1 (spec/sem-v1.md section 2) is below; version 2 and its packet form
(spec/sem-v2.md) follow it in this module.  :func:`decode` reads both,
dispatching on the first byte; :func:`encode` writes ``sem.version`` unless
told otherwise (``version=1`` or ``2``).  A new :class:`SemFile` is version 2
(the default written since container v2); one parsed from a v1 file keeps
version 1, so it re-encodes to its own bytes.

v1 layout (all multi-byte integers are unsigned LEB128 varints unless stated)::

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

import base64
import re
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
    """Cheap magic check: could these first bytes start a .sem file (v1 or v2)?"""
    return prefix[: len(MAGIC)] == MAGIC or prefix[:1] == bytes([MAGIC_V2])


@dataclass(frozen=True)
class SemFile:
    """A decoded ``.sem`` file."""

    prompt: Prompt
    decoder: DecoderSpec
    prompt_codec: PromptCodecSpec
    seed: int | None
    width: int
    height: int
    version: int = 2  # the format written by default (VERSION_V2); a parsed file keeps its own

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
        version: int = 2,
    ) -> "SemFile":
        return cls(
            prompt=prompt,
            decoder=decoder_by_name(decoder),
            prompt_codec=prompt_codec_by_name(prompt_codec),
            seed=seed,
            width=width,
            height=height,
            version=version,
        )

    def to_bytes(self) -> bytes:
        """The file in this SemFile's own format version."""
        return encode(self)

    def to_packet(self) -> bytes:
        """The v2 packet form (spec/sem-v2.md section 7), whatever ``version`` says."""
        return encode_packet(self)

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


def encode(sem: SemFile, version: int | None = None) -> bytes:
    """Serialise as format ``version`` (default: ``sem.version``, which is 2 unless
    the SemFile came from a v1 file or was made with ``version=1``).

    Raises FormatError/PromptError for values the format cannot hold.
    """
    version = sem.version if version is None else version
    if version == VERSION_V2:
        return _encode_v2(sem)
    if version != VERSION:
        raise ValueError(f"format version {version}: this semcodec writes versions 1 and 2")
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
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("decode() takes bytes")
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > MAX_FILE_BYTES:  # checked before copying: a huge buffer is never duplicated
        raise FormatError(f"file is larger than {MAX_FILE_BYTES} bytes")
    data = bytes(data)
    if not data:
        raise FormatError("empty file, not a .sem file")
    if data[0] >= MAGIC_V2:  # 0xF5..0xFF: the one-byte magics of v2 and later (spec/sem-v2.md)
        return _decode_v2(data)
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
    seed, pos = _decode_seed(body, pos) if flags & FLAG_SEED else (None, pos)
    width, pos = varint.decode(body, pos, max_bytes=2, name="width")
    height, pos = varint.decode(body, pos, max_bytes=2, name="height")
    _check_dims(width, height)
    decoder = decoder_by_id(decoder_id)
    codec = prompt_codec_by_id(codec_id)
    prompt = _decode_payload(body[pos:], codec)
    return SemFile(prompt=prompt, decoder=decoder, prompt_codec=codec, seed=seed, width=width, height=height,
                   version=VERSION)


def _decode_seed(body: bytes, pos: int) -> tuple[int, int]:
    """The seed varint at ``pos`` (both versions): (seed, position after it)."""
    seed, pos = varint.decode(body, pos, max_bytes=5, name="seed")
    if seed > MAX_SEED:
        raise FormatError(f"seed {seed} is outside 0..{MAX_SEED}")
    return seed, pos


def _decode_payload(payload: bytes, codec) -> Prompt:
    """The prompt codec's payload (both versions); a bad one is a FormatError of the file."""
    from .errors import PromptError
    from .promptcodec import decode_prompt

    try:
        return decode_prompt(payload, codec)
    except PromptError as exc:
        raise FormatError(f"invalid prompt: {exc}") from None


def _read(path, limit: int, what: str, parse) -> tuple[SemFile, int]:
    """Read ``path`` bounded to ``limit`` bytes and ``parse`` it; errors name the path."""
    from .io import read_bounded

    data = read_bounded(path, limit, what=what)
    try:
        return parse(data), len(data)
    except FormatError as exc:
        raise type(exc)(f"{path}: {exc}") from None


def read(path) -> tuple[SemFile, int]:
    """Read a file from disk (bounded) and decode it; return (SemFile, file size)."""
    return _read(path, MAX_FILE_BYTES, ".sem file", decode)


def overhead_bytes(*, seed: int | None, width: int, height: int, decoder_id: int = 1, codec_id: int = 1,
                   version: int = 2) -> int:
    """Bytes of a file that are not payload: header plus CRC (CRC-32 for v1, CRC-16 for v2)."""
    if version == VERSION_V2:
        return 1 + packet_overhead_bytes(seed=seed, width=width, height=height, decoder_id=decoder_id,
                                         codec_id=codec_id) + CRC16_BYTES
    if version != VERSION:
        raise ValueError(f"format version {version}: this semcodec writes versions 1 and 2")
    return len(_header(decoder_id, codec_id, seed, width, height)) + CRC_BYTES


def packet_overhead_bytes(*, seed: int | None, width: int, height: int, decoder_id: int = 1, codec_id: int = 1) -> int:
    """Bytes of a v2 packet that are not payload (no magic, no CRC)."""
    return len(_packet_header(decoder_id, codec_id, seed, width, height))


# The container forms an encoder can write: a v1 file, a v2 file, a v2 packet.
FORMS = ("v1", "v2", "packet")
FORM_SUFFIX = {"v1": ".sem", "v2": ".sem", "packet": ".semp"}
DEFAULT_FORM = "v2"  # what the encoder, semenc and the Python API write unless told otherwise


def check_form(form: str) -> str:
    if form not in FORMS:
        raise ValueError(f"container form {form!r}: one of {', '.join(FORMS)}")
    return form


def form_of(version: int | None, packet: bool = False) -> str:
    """The form for ``--format-version`` / ``--packet``: packet implies version 2; no version is
    :data:`DEFAULT_FORM`.  ValueError for a packet of version 1 or an unknown version."""
    if packet:
        if version not in (None, VERSION_V2):
            raise ValueError("the packet form is version 2; it cannot be version 1")
        return "packet"
    if version is None:
        return DEFAULT_FORM
    if version not in (VERSION, VERSION_V2):
        raise ValueError(f"format version {version}: this semcodec writes versions 1 and 2")
    return f"v{version}"


def encode_form(sem: SemFile, form: str) -> bytes:
    """``sem`` as bytes of the container form ``form`` ("v1", "v2" or "packet")."""
    check_form(form)
    return encode_packet(sem) if form == "packet" else encode(sem, version=VERSION if form == "v1" else VERSION_V2)


def form_overhead(form: str, *, seed: int | None, width: int, height: int, decoder_id: int, codec_id: int) -> int:
    """Bytes a file (or packet) of ``form`` spends besides its payload, from the same header writers
    that :func:`encode_form` uses: it depends on the IDs (nibble or escape), the seed's varint and the
    size (class or exact varints)."""
    kw = dict(seed=seed, width=width, height=height, decoder_id=decoder_id, codec_id=codec_id)
    if check_form(form) == "packet":
        return packet_overhead_bytes(**kw)
    return overhead_bytes(version=VERSION if form == "v1" else VERSION_V2, **kw)


def form_label(form: str) -> str:
    """How the tools name a form in their messages."""
    return {"v1": ".sem v1", "v2": ".sem v2", "packet": "v2 packet"}[check_form(form)]


def bpp(file_bytes: int, width: int, height: int) -> float:
    return 8.0 * file_bytes / (width * height)



# ---------------------------------------------------------------------------
# Version 2 (spec/sem-v2.md): one magic byte, a packed ID byte, a size-class
# byte, CRC-16.  The packet form is the same bytes without magic and CRC.
# ---------------------------------------------------------------------------

VERSION_V2 = 2
MAGIC_V2 = 0xF5  # version 2; 0xF6..0xFF are the magics of versions 3..13 (never UTF-8, not ASCII, not "S")
CRC16_BYTES = 2
ID_ESCAPE = 0xF  # nibble value: the ID follows as a varint (15..MAX_ID)
CLASS_SEED = 0x80  # size-class byte bit 7: a seed varint follows
CLASS_EXT = 0x40  # bit 6: an extension-flags byte follows
CLASS_MASK = 0x3F  # bits 0-5: the size class
CLASS_EXACT = 0  # size class 0: width and height varints follow
EXT_CRITICAL = 0x0F  # extension byte: bits 0-3 critical (none defined), bits 4-7 ancillary (ignored)
MAX_PACKET_BYTES = MAX_FILE_BYTES - 1 - CRC16_BYTES
# magic, ID byte, size-class byte, 1 payload byte, CRC-16
MIN_FILE_BYTES_V2 = 1 + 1 + 1 + 1 + CRC16_BYTES

# Size classes 1..N (spec/sem-v2.md section 4).  Codes above the table are reserved.
SIZE_CLASSES: tuple[tuple[int, int], ...] = (
    (512, 512), (768, 768), (1024, 1024), (256, 256), (128, 128), (2048, 2048),
    (768, 512), (512, 768), (1024, 768), (768, 1024), (640, 480), (480, 640),
    (1536, 1024), (1024, 1536), (1792, 1024), (1024, 1792), (1920, 1080), (1080, 1920),
    (1280, 720), (720, 1280), (1024, 576), (576, 1024), (3840, 2160), (2160, 3840),
    (1600, 1200), (1200, 1600), (4032, 3024), (3024, 4032), (6000, 4000), (4000, 6000),
    (1200, 800), (800, 1200),
)
_CLASS_OF = {wh: code for code, wh in enumerate(SIZE_CLASSES, 1)}


def _crc16_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1  # 0x8408: 0x1021 bit-reversed
        table.append(crc)
    return tuple(table)


_CRC16_TABLE = _crc16_table()


def crc16(data: bytes) -> int:
    """CRC-16/IBM-SDLC (a.k.a. ISO-HDLC, X-25): poly 0x1021 reflected, init 0xFFFF,
    final XOR 0xFFFF -- the 16-bit member of the family v1's CRC-32 belongs to.
    Check value: crc16(b"123456789") == 0x906E.  Stored little-endian."""
    table = _CRC16_TABLE
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


def size_class(width: int, height: int) -> int:
    """The size-class code for a size (0 = exact: varints follow)."""
    return _CLASS_OF.get((width, height), CLASS_EXACT)


def _packet_header(decoder_id: int, codec_id: int, seed: int | None, width: int, height: int) -> bytes:
    dec_nib = decoder_id if 1 <= decoder_id < ID_ESCAPE else ID_ESCAPE
    cod_nib = codec_id if 1 <= codec_id < ID_ESCAPE else ID_ESCAPE
    code = size_class(width, height)
    out = bytearray([dec_nib << 4 | cod_nib, code | (CLASS_SEED if seed is not None else 0)])
    if dec_nib == ID_ESCAPE:
        out += varint.encode(decoder_id)
    if cod_nib == ID_ESCAPE:
        out += varint.encode(codec_id)
    if code == CLASS_EXACT:
        out += varint.encode(width) + varint.encode(height)
    if seed is not None:
        out += varint.encode(seed)
    return bytes(out)


def encode_packet(sem: SemFile) -> bytes:
    """The v2 packet form: the v2 file without its magic byte and CRC-16."""
    from .promptcodec import encode_prompt

    _check_dims(sem.width, sem.height)
    if sem.seed is not None and not 0 <= sem.seed <= MAX_SEED:
        raise FormatError(f"seed {sem.seed} is outside 0..{MAX_SEED}")
    for name, ident in (("decoder", sem.decoder.id), ("prompt codec", sem.prompt_codec.id)):
        if not 1 <= ident <= MAX_ID:
            raise FormatError(f"{name} ID {ident} is outside 1..{MAX_ID}")
    out = _packet_header(sem.decoder.id, sem.prompt_codec.id, sem.seed, sem.width, sem.height)
    out += encode_prompt(sem.prompt, sem.prompt_codec)
    if len(out) > MAX_PACKET_BYTES:
        raise FormatError(f"the packet would be {len(out)} bytes, the limit is {MAX_PACKET_BYTES}")
    return out


def _encode_v2(sem: SemFile) -> bytes:
    body = bytes([MAGIC_V2]) + encode_packet(sem)
    return body + crc16(body).to_bytes(CRC16_BYTES, "little")


def _decode_v2(data: bytes) -> SemFile:
    """``data`` is bytes of at most MAX_FILE_BYTES starting with a byte >= MAGIC_V2."""
    if data[0] != MAGIC_V2:
        version = data[0] - MAGIC_V2 + VERSION_V2
        raise UnsupportedError(f"format version {version}: the file needs a newer semcodec (this one reads versions 1 and 2)")
    if len(data) < MIN_FILE_BYTES_V2:
        raise FormatError(f"truncated: {len(data)} bytes, a v2 file has at least {MIN_FILE_BYTES_V2}")
    body, stored = data[:-CRC16_BYTES], int.from_bytes(data[-CRC16_BYTES:], "little")
    if crc16(body) != stored:
        raise FormatError("CRC-16 mismatch: the file is corrupt, truncated or has trailing bytes")
    return _parse_packet(body, 1)


def _check_packet_input(data, what: str) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("decode_packet() takes bytes")
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > MAX_PACKET_BYTES:  # before copying
        raise FormatError(f"{what} is larger than {MAX_PACKET_BYTES} bytes")
    data = bytes(data)
    if not data:
        raise FormatError(f"empty {what}")
    return data


def decode_packet(data: bytes) -> SemFile:
    """Parse a v2 packet (no magic, no CRC: the transport frames and checks it).
    Only FormatError (or its subclass UnsupportedError) escapes."""
    return _parse_packet(_check_packet_input(data, "packet"), 0)


def _parse_packet(body: bytes, pos: int) -> SemFile:
    """Fields from the ID byte on; ``body`` ends where the payload ends."""
    if len(body) < pos + 3:
        raise FormatError(f"truncated: the header and payload need at least 3 bytes, {len(body) - pos} left")
    ids, cls = body[pos], body[pos + 1]
    pos += 2
    if cls & CLASS_EXT:
        if pos >= len(body):
            raise FormatError("truncated in the extension-flags field")
        ext = body[pos]
        pos += 1
        if ext == 0:
            raise FormatError("extension-flags byte 0x00 (non-canonical: the bit that announces it must then be clear)")
        if ext & EXT_CRITICAL:
            raise UnsupportedError(f"unknown critical extension bits 0x{ext & EXT_CRITICAL:02x}: the file needs a newer semcodec")
    decoder_id, codec_id = ids >> 4, ids & 0x0F
    if decoder_id == ID_ESCAPE:
        decoder_id, pos = varint.decode(body, pos, max_bytes=2, name="decoder ID")
        if decoder_id < ID_ESCAPE:
            raise FormatError(f"escaped decoder ID {decoder_id} (non-canonical: IDs below 15 use the nibble)")
    if codec_id == ID_ESCAPE:
        codec_id, pos = varint.decode(body, pos, max_bytes=2, name="prompt-codec ID")
        if codec_id < ID_ESCAPE:
            raise FormatError(f"escaped prompt-codec ID {codec_id} (non-canonical: IDs below 15 use the nibble)")
    code = cls & CLASS_MASK
    if code == CLASS_EXACT:
        width, pos = varint.decode(body, pos, max_bytes=2, name="width")
        height, pos = varint.decode(body, pos, max_bytes=2, name="height")
        _check_dims(width, height)
        if (width, height) in _CLASS_OF:
            raise FormatError(f"exact size {width}x{height} (non-canonical: it has size class {_CLASS_OF[width, height]})")
    elif code > len(SIZE_CLASSES):
        raise UnsupportedError(f"unknown size class {code}: the file needs a newer semcodec")
    else:
        width, height = SIZE_CLASSES[code - 1]
    seed, pos = _decode_seed(body, pos) if cls & CLASS_SEED else (None, pos)
    decoder = decoder_by_id(decoder_id)
    codec = prompt_codec_by_id(codec_id)
    if pos >= len(body):
        raise FormatError("truncated: no payload")
    prompt = _decode_payload(body[pos:], codec)
    return SemFile(prompt=prompt, decoder=decoder, prompt_codec=codec, seed=seed, width=width, height=height,
                   version=VERSION_V2)


def read_packet(path) -> tuple[SemFile, int]:
    """Read a packet from disk (bounded) and decode it; return (SemFile, packet size)."""
    return _read(path, MAX_PACKET_BYTES, "packet", decode_packet)


# ---------------------------------------------------------------------------
# The text form (spec/sem-v2.md section 7.4): a file's or a packet's bytes as
# unpadded base64url (RFC 4648 section 5), for pasting into a message.
# ---------------------------------------------------------------------------

_TEXT_RE = re.compile(r"[A-Za-z0-9_-]*", re.ASCII)
_NOT_TEXT_RE = re.compile(r"[^A-Za-z0-9_-]", re.ASCII)


def text_chars(n: int) -> int:
    """Characters of the text form of ``n`` bytes (unpadded: ceil(8n / 6))."""
    return (8 * n + 5) // 6


MAX_TEXT_CHARS = text_chars(MAX_FILE_BYTES)  # 5462: the text of the largest file
MAX_PACKET_TEXT_CHARS = text_chars(MAX_PACKET_BYTES)  # 5458


def to_text(data: bytes) -> str:
    """Unpadded base64url of ``data``: one line, alphabet A-Z a-z 0-9 - _."""
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode("ascii")


def from_text(text: str, *, packet: bool = False) -> bytes:
    """The bytes of a text form, decoded strictly: only the base64url alphabet, no padding, no
    whitespace, canonical (the unused low bits of the last character zero), and no longer than the
    text of the largest file (packet) could be.  FormatError otherwise, one line."""
    if not isinstance(text, str):
        raise TypeError("from_text() takes a str")
    what = "packet" if packet else ".sem file"
    limit = MAX_PACKET_TEXT_CHARS if packet else MAX_TEXT_CHARS
    if len(text) > limit:  # before anything else: a huge argument is refused unread
        raise FormatError(f"text form is {len(text)} characters; a {what} is at most {limit}")
    if not text:
        raise FormatError("empty text, not a text form")
    if not _TEXT_RE.fullmatch(text):
        i = _NOT_TEXT_RE.search(text).start()
        c = text[i]
        why = ("padding '=' is not written" if c == "=" else "whitespace is not allowed" if c.isspace()
               else "not in the alphabet A-Z a-z 0-9 - _")
        raise FormatError(f"not base64url text: character {c!r} at offset {i} ({why})")
    if len(text) % 4 == 1:
        raise FormatError(f"not base64url text: {len(text)} characters (4n+1) encode no whole byte")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if to_text(data) != text:
        raise FormatError("non-canonical base64url: the unused low bits of the last character must be 0")
    return data


def decode_text(text: str, *, packet: bool = False) -> tuple[SemFile, int]:
    """Parse the text form of a file (or, with ``packet``, of a packet): (SemFile, its byte count)."""
    data = from_text(text, packet=packet)
    return (decode_packet(data) if packet else decode(data)), len(data)
