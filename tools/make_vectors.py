#!/usr/bin/env python3
"""Regenerate the test vectors in spec/vectors/ (valid and invalid .sem files).

    python tools/make_vectors.py [OUTDIR]      # default: spec/vectors

The bytes depend on the pinned zstandard version (constraints.txt); a test
regenerates them into a temp folder and checks they equal the committed ones.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import msgpack

from semcodec import varint
from semcodec.container import MAX_FILE_BYTES, SemFile, decode
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


def valid_files() -> dict[str, bytes]:
    return {
        "minimal": SemFile.create(Prompt("a cat"), prompt_codec=ZSTD, seed=None).to_bytes(),
        "typical": SemFile.create(TYPICAL, prompt_codec=ZSTD, seed=3, width=768, height=512).to_bytes(),
        "unicode": SemFile.create(
            Prompt("Straße in Köln bei Nacht 🌃", ("ein rotes Fahrrad", "雨の歩道"), "néon bleu", "フィルム写真"),
            prompt_codec=ZSTD,
            seed=63,
            width=640,
            height=480,
        ).to_bytes(),
        "no-seed-gpt-image-2": SemFile.create(TYPICAL, prompt_codec=ZSTD, decoder="gpt-image-2", seed=None, width=1024, height=1024).to_bytes(),
        "limits": SemFile.create(Prompt("a red apple on a table", (), "", None), prompt_codec=ZSTD, decoder="sdxl-turbo", seed=2**32 - 1,
                                 width=8192, height=8192).to_bytes(),
        "ancillary-flag": file_with_items(["a red apple", ["a knife"], "morning light"], flags=0x81, seed=1),
        "lm-ac-v1": SemFile.create(TYPICAL, prompt_codec="lm-ac-v1", seed=3, width=768, height=512).to_bytes(),
        "lm-ac-v2": SemFile.create(TYPICAL, prompt_codec="lm-ac-v2", seed=3, width=768, height=512).to_bytes(),
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "spec" / "vectors"
    (root / "valid").mkdir(parents=True, exist_ok=True)
    (root / "invalid").mkdir(parents=True, exist_ok=True)
    index: dict = {"valid": {}, "invalid": {}}
    valid = valid_files()
    for name, data in valid.items():
        rel = f"valid/{name}.sem"
        (root / rel).write_bytes(data)
        index["valid"][rel] = decode(data).to_json(len(data))
    for name, (data, fragment) in invalid_files(valid).items():
        rel = f"invalid/{name}.sem"
        (root / rel).write_bytes(data)
        try:
            decode(data)
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
