#!/usr/bin/env python3
"""Train (or verify) the zstd-dict-v1 dictionary from corpus/train-v1.jsonl.

The dictionary is pinned forever by prompt-codec ID 1 (spec/sem-v1.md 7.1.1), so
the default action only *verifies*: it retrains from the corpus, twice, and
checks that both runs and the shipped file are byte-identical.  ``--write``
writes a new file (only ever needed once, or for a new codec ID), and
``--sweep`` measures several dictionary sizes on the held-out prompts.

Training is ``zstandard.train_dictionary`` (libzstd's fastCover) on the msgpack
serialisations (``semcodec.promptcodec.packing.pack``) of the corpus prompts, in
file order, with every parameter fixed (no parameter search, one thread, fixed
dictionary ID), so the output depends only on the corpus bytes and the libzstd
version (trained with python-zstandard 0.25.0 / libzstd 1.5.7).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "train-v1.jsonl"
HELDOUT = ROOT / "semcodec" / "bench" / "data" / "heldout-prompts.jsonl"
OUTPUT = ROOT / "semcodec" / "promptcodec" / "data" / "zstd-dict-v1.bin"

# The frozen training parameters of zstd-dict-v1.  Never change them for ID 1.
DICT_SIZE = 65536  # bytes; the size sweep is in corpus/README.md
PARAMS = {
    "k": 64,  # fastCover segment size
    "d": 6,  # dmer size (fastCover accepts 6 or 8)
    "f": 20,  # log2 of the frequency table size (libzstd's default)
    "accel": 1,  # no acceleration (libzstd's default)
    "split_point": 1.0,  # every sample is used for training
    "level": 3,  # level the entropy tables are tuned for (libzstd's default)
    "dict_id": 0x53454D31,  # "SEM1"; in the private range 32768..2**31-1
    "steps": 0,
    "threads": 1,  # with k and d fixed there is nothing to search: one run
}
SWEEP_SIZES = (4096, 8192, 16384, 32768, 49152, 65536)


def load_prompts(path: Path) -> list:
    """Every line of a JSONL prompt file as a validated Prompt (blank lines skipped)."""
    from semcodec.prompt import Prompt

    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(Prompt.from_dict(json.loads(line)))
            except ValueError as exc:  # JSONDecodeError and PromptError alike
                raise SystemExit(f"{path}:{n}: {exc}") from None
    return out


def samples(prompts: list) -> list[bytes]:
    from semcodec.promptcodec.packing import pack

    return [pack(p) for p in prompts]


def train(sample_list: list[bytes], size: int = DICT_SIZE, **overrides) -> bytes:
    """The dictionary bytes for these samples; a pure function of its arguments."""
    import zstandard as zstd

    params = {**PARAMS, **overrides}
    return zstd.train_dictionary(size, sample_list, **params).as_bytes()


def compressed_size(dictionary: bytes | None, sample_list: list[bytes], level: int = 19) -> int:
    """Total payload bytes with zstd-dict-v1's frame settings (magic-less, no size/ID/checksum)."""
    import zstandard as zstd

    params = zstd.ZstdCompressionParameters.from_level(
        level, format=zstd.FORMAT_ZSTD1_MAGICLESS, write_content_size=0, write_checksum=0, write_dict_id=0
    )
    if dictionary is None:
        cctx = zstd.ZstdCompressor(compression_params=params)
    else:
        zdict = zstd.ZstdCompressionDict(dictionary, dict_type=zstd.DICT_TYPE_FULLDICT)
        cctx = zstd.ZstdCompressor(dict_data=zdict, compression_params=params)
    return sum(len(cctx.compress(s)) for s in sample_list)


def sweep(train_samples: list[bytes], held: list[bytes], sizes=SWEEP_SIZES) -> list[dict]:
    rows = [{"dict_size": 0, "heldout_bytes": compressed_size(None, held)}]
    for size in sizes:
        rows.append({"dict_size": size, "heldout_bytes": compressed_size(train(train_samples, size), held)})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train or verify the zstd-dict-v1 dictionary.")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--output", type=Path, default=OUTPUT)
    ap.add_argument("--write", action="store_true", help="write the dictionary (it is frozen: only for a new codec)")
    ap.add_argument("--sweep", action="store_true", help="measure dictionary sizes on the held-out prompts")
    args = ap.parse_args(argv)

    train_samples = samples(load_prompts(args.corpus))
    if args.sweep:
        held = samples(load_prompts(HELDOUT))
        raw = sum(map(len, held))
        print(f"held-out: {len(held)} prompts, {raw} bytes of msgpack")
        print(f"{'dict size':>10} {'payload B':>10} {'mean B':>8} {'vs raw':>7}")
        for row in sweep(train_samples, held):
            b = row["heldout_bytes"]
            print(f"{row['dict_size']:>10} {b:>10} {b / len(held):>8.1f} {b / raw:>7.1%}")
        return 0

    first = train(train_samples)
    second = train(train_samples)
    if first != second:
        print("error: two training runs gave different bytes", file=sys.stderr)
        return 1
    digest = hashlib.sha256(first).hexdigest()
    print(f"trained {len(first)} bytes from {len(train_samples)} prompts; sha256 {digest}; two runs identical")
    if args.write:
        args.output.write_bytes(first)
        print(f"wrote {args.output}")
        return 0
    if not args.output.exists():
        print(f"{args.output} does not exist (use --write)", file=sys.stderr)
        return 1
    if args.output.read_bytes() != first:
        print(f"error: {args.output} differs from the retrained dictionary", file=sys.stderr)
        return 1
    print(f"{args.output} matches")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
