#!/usr/bin/env python3
"""How often does random corruption of a .sem file go unnoticed?  (spec/sem-v2.md section 9)

    python tools/measure_integrity.py [--trials N] [--seed S] [--prompts FILE.jsonl] [--codec NAME]

For the held-out prompts (default: semcodec/bench/data/heldout-prompts.jsonl),
encoded with --codec (default lm-ac-v2) for sd-turbo at 512x512 with seed 0
(one seed byte), it builds four forms of each prompt:

* ``v1``         the v1 file (CRC-32);
* ``v2``         the v2 file (CRC-16/IBM-3740);
* ``v2-no-crc``  the v2 magic byte + packet, checked by nothing but the
                 decoder's own parsing (header rules, the prompt codec's
                 canonical-form and prompt-rule checks);
* ``packet``     the v2 packet (no magic, no CRC);

then, for each kind of damage, applies it N times (a random prompt each time)
and counts how many damaged inputs still DECODE without error (accepted):

* ``byte``      one byte at a random offset replaced by a random other value;
* ``multi``     2..8 bytes at random offsets each replaced by a random other value;
* ``truncate``  cut to a random length 0 .. n-1;
* ``append``    1..4 random bytes appended.

It also prints the mean sizes and bits per character of canonical text
(8 * total bytes / total UTF-8 bytes of canonical text, as ``sembench rate``).
Seeded: the same arguments print the same table.
"""

from __future__ import annotations

import argparse
import random
import time

from semcodec import container
from semcodec.container import SemFile, decode, decode_packet
from semcodec.errors import FormatError
from semcodec.registry import DEFAULT_DECODER, decoder_by_name, prompt_codec_by_name

KINDS = ("byte", "multi", "truncate", "append")
FORMS = ("v1", "v2", "v2-no-crc", "packet")


def _decode_v2_no_crc(data: bytes) -> SemFile:
    if not data or data[0] != container.MAGIC_V2:
        raise FormatError("bad magic")
    return decode_packet(data[1:])


DECODERS = {"v1": decode, "v2": decode, "v2-no-crc": _decode_v2_no_crc, "packet": decode_packet}


def build(prompts, codec_name: str) -> dict[str, list[bytes]]:
    decoder, codec = decoder_by_name(DEFAULT_DECODER), prompt_codec_by_name(codec_name)
    forms: dict[str, list[bytes]] = {f: [] for f in FORMS}
    for p in prompts:
        sem = SemFile(prompt=p, decoder=decoder, prompt_codec=codec, seed=0, width=512, height=512)
        packet = sem.to_packet()
        forms["v1"].append(container.encode(sem, version=1))
        forms["v2"].append(container.encode(sem, version=2))
        forms["v2-no-crc"].append(bytes([container.MAGIC_V2]) + packet)
        forms["packet"].append(packet)
    return forms


def damage(kind: str, data: bytes, rng: random.Random) -> bytes:
    if kind == "byte":
        i = rng.randrange(len(data))
        out = bytearray(data)
        out[i] ^= rng.randrange(1, 256)  # a uniformly random *other* value
        return bytes(out)
    if kind == "multi":
        out = bytearray(data)
        for i in rng.sample(range(len(data)), min(len(data), rng.randint(2, 8))):
            out[i] ^= rng.randrange(1, 256)
        return bytes(out)
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    if kind == "append":
        return data + bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
    raise ValueError(kind)


def accepted(form: str, data: bytes) -> bool:
    try:
        DECODERS[form](data)
    except FormatError:
        return False
    return True


HEADER_BYTES = {"v1": 12, "v2": 4, "v2-no-crc": 4, "packet": 3}  # seed 0, 512x512, IDs 1 and 3: before the payload


def measure(forms: dict[str, list[bytes]], trials: int, seed: int) -> tuple[dict, dict]:
    """Accepted counts per (kind, form), and for kind "byte" how many of them hit the header."""
    counts, in_header = {}, {}
    for kind in KINDS:
        for form in FORMS:
            rng = random.Random(f"{seed}/{kind}/{form}")
            files = forms[form]
            hits = header_hits = 0
            for _ in range(trials):
                original = rng.choice(files)
                bad = damage(kind, original, rng)
                if accepted(form, bad):
                    hits += 1
                    if kind == "byte":
                        first = next(i for i, (a, b) in enumerate(zip(original, bad)) if a != b)
                        header_hits += first < HEADER_BYTES[form]
            counts[kind, form] = hits
            in_header[kind, form] = header_hits
    return counts, in_header


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=20000, help="damaged inputs per kind and form (default 20000)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--prompts", default=None, help="JSONL prompt corpus (default: the packaged held-out set)")
    ap.add_argument("--codec", default="lm-ac-v2")
    args = ap.parse_args(argv)
    from semcodec.bench.rate import load_prompts

    prompts, source = load_prompts(args.prompts)
    forms = build(prompts, args.codec)
    text_bytes = sum(len(p.text().encode("utf-8")) for p in prompts)
    n = len(prompts)
    print(f"{n} prompts from {source}; codec {args.codec}, {DEFAULT_DECODER}, 512x512, seed 0; "
          f"{text_bytes} bytes of canonical text")
    print()
    print(f"{'form':<12} {'mean B':>8} {'overhead B':>10} {'bits/char':>9}")
    payload = sum(len(b) for b in forms["packet"]) - n * container.packet_overhead_bytes(seed=0, width=512, height=512,
                                                                                         decoder_id=1, codec_id=prompt_codec_by_name(args.codec).id)
    print(f"{'payload':<12} {payload / n:>8.2f} {0:>10} {8 * payload / text_bytes:>9.3f}")
    for form in FORMS:
        total = sum(len(b) for b in forms[form])
        print(f"{form:<12} {total / n:>8.2f} {(total - payload) / n:>10.0f} {8 * total / text_bytes:>9.3f}")
    t0 = time.perf_counter()
    counts, in_header = measure(forms, args.trials, args.seed)
    print()
    print(f"accepted damaged inputs out of {args.trials} per cell (seed {args.seed}; {time.perf_counter() - t0:.0f} s)")
    print(f"{'damage':<10}" + "".join(f" {form:>17}" for form in FORMS))
    for kind in KINDS:
        cells = []
        for form in FORMS:
            c = counts[kind, form]
            cells.append(f"{c:>6} ({100 * c / args.trials:6.3f}%)")
        print(f"{kind:<10}" + "".join(f" {cell:>17}" for cell in cells))
    print()
    print("of the accepted single-byte changes, in the header (IDs, size class, seed) / in the payload:")
    print(" ".join(f"{form} {in_header['byte', form]}/{counts['byte', form] - in_header['byte', form]}" for form in FORMS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
