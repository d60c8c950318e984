#!/usr/bin/env python3
"""Regenerate the test vectors in spec/vectors/ (valid and invalid .sem files).

    python tools/make_vectors.py [OUTDIR]      # default: spec/vectors

The bytes depend on the pinned zstandard version (constraints.txt); a test
regenerates them into a temp folder and checks they equal the committed ones.
Version 2 vectors (spec/sem-v2.md section 8) are named ``v2-*``; packets
(the v2 packet form, no magic and no CRC) end in ``.semp``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import msgpack

from semcodec import varint
from semcodec.container import (MAGIC_V2, MAX_FILE_BYTES, SIZE_CLASSES, SemFile, crc16, decode, decode_packet, from_text,
                                to_text)
from semcodec.errors import FormatError
from semcodec.prompt import Prompt
from semcodec.testing.craft import file_with_items, header, small_window_frame, with_crc, zstd_payload

ZSTD = "zstd-dict-v1"  # the vectors pin codecs explicitly: the encoder default may change, these bytes may not
TYPICAL = Prompt(
    "a cluttered home office with a wooden desk by a window",
    ("a silver laptop", "a ceramic mug of coffee", "two stacked notebooks"),
    "soft natural daylight from the left",
    "photo, 35mm",
)


def v1(prompt, **kw) -> SemFile:
    """The v1 vectors are v1 files whatever the writing default is."""
    return SemFile.create(prompt, version=1, **kw)


def valid_files() -> dict[str, bytes]:
    return {
        "minimal": v1(Prompt("a cat"), prompt_codec=ZSTD, seed=None).to_bytes(),
        "typical": v1(TYPICAL, prompt_codec=ZSTD, seed=3, width=768, height=512).to_bytes(),
        "unicode": v1(
            Prompt("Straße in Köln bei Nacht 🌃", ("ein rotes Fahrrad", "雨の歩道"), "néon bleu", "フィルム写真"),
            prompt_codec=ZSTD,
            seed=63,
            width=640,
            height=480,
        ).to_bytes(),
        "no-seed-gpt-image-2": v1(TYPICAL, prompt_codec=ZSTD, decoder="gpt-image-2", seed=None, width=1024, height=1024).to_bytes(),
        "limits": v1(Prompt("a red apple on a table", (), "", None), prompt_codec=ZSTD, decoder="sdxl-turbo", seed=2**32 - 1,
                                 width=8192, height=8192).to_bytes(),
        "ancillary-flag": file_with_items(["a red apple", ["a knife"], "morning light"], flags=0x81, seed=1),
        "lm-ac-v1": v1(TYPICAL, prompt_codec="lm-ac-v1", seed=3, width=768, height=512).to_bytes(),
        "lm-ac-v2": v1(TYPICAL, prompt_codec="lm-ac-v2", seed=3, width=768, height=512).to_bytes(),
    }


def invalid_files(valid: dict[str, bytes]) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, a fragment of the expected error message)."""
    typical, minimal, lm = valid["typical"], valid["minimal"], valid["lm-ac-v1"]
    simple = ["a red apple", ["a knife"], "morning light"]
    simple_payload = zstd_payload(msgpack.packb(simple))
    out: dict[str, tuple[bytes, str]] = {
        "bad-magic": (b"PNG" + typical[3:], "bad magic"),
        "version-0": (with_crc(header(version=0) + typical[12:-4]), "invalid format version 0"),
        "version-2": (with_crc(header(version=2) + typical[12:-4]), "format version 2"),
        "empty-payload": (with_crc(header(flags=0, width=1, height=1)), "at least 14"),
        "bit-flip": (typical[:20] + bytes([typical[20] ^ 0x04]) + typical[21:], "CRC mismatch"),
        "trailing-zero": (typical + b"\x00", "CRC mismatch"),
        "trailing-in-payload": (with_crc(typical), "corrupt prompt payload"),
        "critical-flag": (file_with_items(simple, flags=0x03), "unknown critical flag"),
        "critical-flag-04": (file_with_items(simple, flags=0x05), "unknown critical flag bits 0x04"),
        "critical-flag-08": (file_with_items(simple, flags=0x09), "unknown critical flag bits 0x08"),
        "decoder-99": (file_with_items(simple, decoder=99), "unknown decoder ID 99"),
        "codec-99": (file_with_items(simple, codec=99), "unknown prompt codec ID 99"),
        "decoder-0": (file_with_items(simple, decoder=0), "invalid decoder ID 0 .reserved."),
        "codec-0": (file_with_items(simple, codec=0), "invalid prompt codec ID 0 .reserved."),
        "overlong-varint": (
            with_crc(b"SEM\x01\x01\x81\x00\x01\x00" + varint.encode(64) * 2 + zstd_payload(msgpack.packb(simple))),
            "non-canonical varint",
        ),
        "width-3-byte-varint": (
            with_crc(b"SEM\x01\x00\x01\x01" + b"\x80\x80\x01" + varint.encode(512) + simple_payload),
            "width field is longer than 2 bytes",
        ),
        "seed-4294967296": (file_with_items(simple, seed=2**32), "seed 4294967296 is outside"),
        "width-0": (file_with_items(simple, width=0), "width 0 is outside"),
        "width-8193": (file_with_items(simple, width=8193), "width 8193 is outside"),
        "height-0": (file_with_items(simple, height=0), "height 0 is outside"),
        "height-8193": (file_with_items(simple, height=8193), "height 8193 is outside"),
        # Window within 128 KiB, 10 MB of zeros: only the 4096-byte output cap stops it.
        "zstd-bomb": (with_crc(header() + small_window_frame(b"\x00" * 10_000_000)), "decodes to more than 4096 bytes"),
        "zstd-4097-bytes": (with_crc(header() + small_window_frame(b"a" * 4097)), "decodes to more than 4096 bytes"),
        "zstd-window-too-large": (
            with_crc(header() + zstd_payload(b"\x00" * 20_000_000, dictionary=False)),
            "zstd window, the limit is 131072",
        ),
        "zstd-second-frame": (with_crc(header() + simple_payload + simple_payload), "bytes after the zstd frame"),
        "lm-ac-truncated-payload": (with_crc(lm[:-5]), "prompt payload is truncated"),
        "lm-ac-truncated": (lm[:-1], "CRC mismatch"),
        "lm-ac-v2-truncated-payload": (with_crc(valid["lm-ac-v2"][:-5]), "prompt payload is truncated"),
        "msgpack-invalid-utf8": (with_crc(header() + zstd_payload(b"\x93\xa2\xff\xfe\x90\xa0")), "not valid UTF-8"),
        "msgpack-map": (file_with_items({"scene": "x"}), "malformed prompt msgpack"),
        "msgpack-short-array": (file_with_items(["s", []]), "array of 3 or 4"),
        "msgpack-int-scene": (file_with_items([7, [], ""]), "scene must be a msgpack str"),
        "msgpack-nil-style": (file_with_items(["s", [], "", None]), "style must be a msgpack str"),
        "msgpack-extra": (with_crc(header() + zstd_payload(msgpack.packb(simple) + b"\xc0")), "trailing bytes after the prompt"),
        "prompt-control-char": (file_with_items(["a\nb", [], ""]), "control character U.000A"),
        "prompt-empty-scene": (file_with_items(["", [], ""]), "scene must not be empty"),
        "oversize-file": (b"SEM\x01" + b"\x00" * MAX_FILE_BYTES, "larger than 4096"),
        "empty": (b"", "empty file"),
    }
    for n in (1, 3, 4, 8, 12, len(typical) - 4, len(typical) - 1):
        out[f"truncated-{n}"] = (typical[:n], "truncated|CRC mismatch")
    for n in range(len(minimal)):
        out[f"truncated-minimal-{n}"] = (minimal[:n], "empty file|truncated|CRC mismatch")
    return out


def v2_valid_files() -> dict[str, bytes]:
    """name -> bytes; a name ending in .semp is a packet, otherwise a .sem file."""
    def v2(prompt, **kw):
        return SemFile.create(prompt, version=2, **kw)

    default = v2(TYPICAL, prompt_codec="lm-ac-v2", seed=0)
    no_seed = v2(TYPICAL, prompt_codec="lm-ac-v2", decoder="gpt-image-2", seed=None, width=1024, height=1024)
    exact = v2(Prompt("a cat"), prompt_codec="lm-ac-v2", seed=3, width=300, height=200)
    packet = default.to_packet()
    v3 = v2(TYPICAL, prompt_codec="lm-ac-v3", seed=0)  # since 0.3.0; not the writing default
    v4 = v2(TYPICAL, prompt_codec="lm-ac-v4", seed=0)  # since 0.4.0; not the writing default
    v5 = v2(TYPICAL, prompt_codec="lm-ac-v5", seed=0)  # since 0.5.0; not the writing default
    v6 = v2(TYPICAL, prompt_codec="lm-ac-v6", seed=0)  # the smallest codec (since 0.6.0; not the writing default)
    return {
        "v2-lm-ac-v6.sem": v6.to_bytes(),
        "v2-packet-lm-ac-v6.semp": v6.to_packet(),
        "v2-lm-ac-v5.sem": v5.to_bytes(),
        "v2-packet-lm-ac-v5.semp": v5.to_packet(),
        "v2-lm-ac-v4.sem": v4.to_bytes(),
        "v2-packet-lm-ac-v4.semp": v4.to_packet(),
        "v2-lm-ac-v3.sem": v3.to_bytes(),
        "v2-packet-lm-ac-v3.semp": v3.to_packet(),
        "v2-default.sem": default.to_bytes(),
        "v2-no-seed.sem": no_seed.to_bytes(),
        "v2-exact-size.sem": exact.to_bytes(),
        "v2-size-class-1920x1080.sem": v2(TYPICAL, prompt_codec="lm-ac-v2", seed=127, width=1920, height=1080).to_bytes(),
        "v2-limits.sem": v2(Prompt("Straße in Köln bei Nacht 🌃", ("ein rotes Fahrrad", "雨の歩道"), "néon bleu", "フィルム写真"),
                            prompt_codec=ZSTD, decoder="sdxl-turbo", seed=2**32 - 1, width=8192, height=8191).to_bytes(),
        "v2-zstd-dict-v1.sem": v2(TYPICAL, prompt_codec=ZSTD, seed=1, width=768, height=512).to_bytes(),
        "v2-ancillary-ext.sem": with_crc16(bytes([MAGIC_V2, packet[0], packet[1] | 0x40, 0xF0]) + packet[2:]),
        "v2-packet.semp": packet,
        "v2-packet-no-seed.semp": no_seed.to_packet(),
        "v2-packet-exact-size.semp": exact.to_packet(),
    }


def with_crc16(body: bytes) -> bytes:
    return body + crc16(body).to_bytes(2, "little")


def v2_invalid_files(valid: dict[str, bytes]) -> dict[str, tuple[bytes, str]]:
    default, packet = valid["v2-default.sem"], valid["v2-packet.semp"]
    ids, cls, rest = packet[0], packet[1], packet[2:]  # 0x13, 0x81 (seed, 512x512), seed 0 + payload
    payload = rest[1:]

    def f(body: bytes) -> bytes:  # a CRC-valid v2 file from a packet body
        return with_crc16(bytes([MAGIC_V2]) + body)

    out: dict[str, tuple[bytes, str]] = {
        "v2-bad-crc.sem": (default[:-1] + bytes([default[-1] ^ 0x01]), "CRC-16 mismatch"),
        "v2-bit-flip.sem": (default[:10] + bytes([default[10] ^ 0x10]) + default[11:], "CRC-16 mismatch"),
        "v2-trailing-zero.sem": (default + b"\x00", "CRC-16 mismatch"),
        "v2-trailing-in-payload.sem": (f(packet + b"\x00"), "prompt payload"),
        "v2-version-3.sem": (bytes([MAGIC_V2 + 1]) + default[1:], "format version 3"),
        "v2-oversize-file.sem": (bytes([MAGIC_V2]) + b"\x00" * MAX_FILE_BYTES, "larger than 4096"),
        "v2-no-payload.sem": (f(bytes([ids, cls, 0])), "truncated: no payload"),
        "v2-short.sem": (f(bytes([ids, 0x01])), "at least 6"),
        "v2-critical-ext-01.sem": (f(bytes([ids, cls | 0x40, 0x01]) + rest), "unknown critical extension bits 0x01"),
        "v2-critical-ext-08.sem": (f(bytes([ids, cls | 0x40, 0xF8]) + rest), "unknown critical extension bits 0x08"),
        "v2-ext-zero.sem": (f(bytes([ids, cls | 0x40, 0x00]) + rest), "extension-flags byte 0x00"),
        "v2-reserved-size-class.sem": (f(bytes([ids, 0x80 | (len(SIZE_CLASSES) + 1)]) + rest), f"unknown size class {len(SIZE_CLASSES) + 1}"),
        "v2-size-class-63.sem": (f(bytes([ids, 0x80 | 63]) + rest), "unknown size class 63"),
        "v2-exact-size-non-canonical.sem": (f(bytes([ids, 0x80]) + varint.encode(512) * 2 + rest), "non-canonical: it has size class 1"),
        "v2-width-0.sem": (f(bytes([ids, 0x80]) + varint.encode(0) + varint.encode(5) + rest), "width 0 is outside"),
        "v2-height-8193.sem": (f(bytes([ids, 0x80]) + varint.encode(5) + varint.encode(8193) + rest), "height 8193 is outside"),
        "v2-width-3-byte-varint.sem": (f(bytes([ids, 0x80]) + b"\x80\x80\x01" + varint.encode(5) + rest), "width field is longer than 2 bytes"),
        "v2-seed-4294967296.sem": (f(bytes([ids, cls]) + varint.encode(2**32) + payload), "seed 4294967296 is outside"),
        "v2-seed-overlong.sem": (f(bytes([ids, cls, 0x80, 0x00]) + payload), "non-canonical varint in the seed"),
        "v2-decoder-0.sem": (f(bytes([ids & 0x0F, cls]) + rest), "invalid decoder ID 0 .reserved."),
        "v2-codec-0.sem": (f(bytes([ids & 0xF0, cls]) + rest), "invalid prompt codec ID 0 .reserved."),
        "v2-decoder-14.sem": (f(bytes([0xE0 | ids & 0x0F, cls]) + rest), "unknown decoder ID 14"),
        "v2-escaped-decoder-99.sem": (f(bytes([0xF0 | ids & 0x0F, cls, 99]) + rest), "unknown decoder ID 99"),
        "v2-escaped-codec-16383.sem": (f(bytes([ids | 0x0F, cls]) + varint.encode(16383) + rest), "unknown prompt codec ID 16383"),
        "v2-escaped-id-non-canonical.sem": (f(bytes([0xF0 | ids & 0x0F, cls, 1]) + rest), "escaped decoder ID 1 .non-canonical"),
        "v2-escaped-id-3-byte-varint.sem": (f(bytes([0xF0 | ids & 0x0F, cls, 0x80, 0x80, 0x01]) + rest), "decoder ID field is longer than 2 bytes"),
        "v2-packet-trailing-zero.semp": (packet + b"\x00", "prompt payload"),
        "v2-packet-empty.semp": (b"", "empty packet"),
        "v2-packet-oversize.semp": (b"\x13" + b"\x00" * (MAX_FILE_BYTES - 3), "larger than 4093"),
        "v2-packet-reserved-size-class.semp": (bytes([ids, 0x80 | 63]) + rest, "unknown size class 63"),
        "v2-lm-ac-v3-truncated-payload.sem": (with_crc16(valid["v2-lm-ac-v3.sem"][:-5]), "prompt payload is (truncated|not the canonical)"),
        "v2-lm-ac-v3-as-lm-ac-v2.sem": (f(bytes([0x13]) + valid["v2-packet-lm-ac-v3.semp"][1:]), "prompt payload|invalid prompt"),
        "v2-lm-ac-v4-as-lm-ac-v3.sem": (f(bytes([0x14]) + valid["v2-packet-lm-ac-v4.semp"][1:]), "prompt payload|invalid prompt"),
        "v2-lm-ac-v5-as-lm-ac-v3.sem": (f(bytes([0x14]) + valid["v2-packet-lm-ac-v5.semp"][1:]), "prompt payload|invalid prompt"),
        "v2-lm-ac-v6-as-lm-ac-v5.sem": (f(bytes([0x16]) + valid["v2-packet-lm-ac-v6.semp"][1:]), "prompt payload|invalid prompt"),
    }
    for n in range(len(default)):
        out[f"v2-truncated-{n}.sem"] = (default[:n], "empty file|truncated|CRC-16 mismatch")
    for n in range(len(packet)):
        out[f"v2-packet-truncated-{n}.semp"] = (packet[:n], "empty packet|truncated|invalid prompt|prompt payload")
    return out


def decode_any(rel: str, data: bytes) -> tuple[SemFile, int]:
    """Packets (``.semp``) through decode_packet, files through decode, text forms (``.sem.txt``,
    ``.semp.txt``) through from_text first; (SemFile, bytes of the file or packet)."""
    if rel.endswith(".txt"):
        rel, data = rel[:-4], from_text(data.decode("ascii"), packet=rel.endswith(".semp.txt"))
    return (decode_packet(data) if rel.endswith(".semp") else decode(data)), len(data)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "spec" / "vectors"
    (root / "valid").mkdir(parents=True, exist_ok=True)
    (root / "invalid").mkdir(parents=True, exist_ok=True)
    index: dict = {"valid": {}, "invalid": {}}
    valid = valid_files()
    valid_v2 = v2_valid_files()
    all_valid = {f"{name}.sem": data for name, data in valid.items()} | valid_v2
    for name in ("v2-default.sem", "v2-packet.semp"):  # the text form, spec/sem-v2.md 7.4: one line, no newline
        all_valid[f"{name}.txt"] = to_text(valid_v2[name]).encode("ascii")
    all_invalid = {f"{name}.sem": v for name, v in invalid_files(valid).items()} | v2_invalid_files(valid_v2)
    for name, data in all_valid.items():
        rel = f"valid/{name}"
        (root / rel).write_bytes(data)
        sem, size = decode_any(rel, data)
        index["valid"][rel] = sem.to_json(size)
    for name, (data, fragment) in all_invalid.items():
        rel = f"invalid/{name}"
        (root / rel).write_bytes(data)
        try:
            decode_any(rel, data)
        except FormatError as exc:
            if not re.search(fragment, str(exc)):
                raise SystemExit(f"{rel}: the error {str(exc)!r} does not match {fragment!r}") from None
            index["invalid"][rel] = {"error": type(exc).__name__, "message": str(exc), "expect": fragment}
        else:
            raise SystemExit(f"{rel} decoded, but it is meant to be invalid")
    (root / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(index['valid'])} valid and {len(index['invalid'])} invalid vectors to {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
