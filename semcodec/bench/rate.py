"""``sembench rate``: how many bytes a structured prompt costs, method by method.

For every prompt of a JSONL corpus (one JSON prompt object a line; default: the
packaged held-out set ``semcodec/bench/data/heldout-prompts.jsonl``) it measures

* ``text``     the canonical text rendering, UTF-8 bytes (the reference);
* ``zlib9``    zlib level 9 of that text (2-byte header and Adler-32 included);
* ``msgpack``  the msgpack serialisation the v1 prompt codecs start from;
* ``zstd19``   zstd level 19 of the msgpack, no dictionary, minimal framing
  (magic-less, no content size, dictionary ID or checksum);
* one column per prompt codec of ``registry.PROMPT_CODECS`` (its payload bytes),
  so a new codec appears without changes here;
* ``sem``      the whole v1 ``.sem`` file with the default codec, seed 0, 512x512,
  sd-turbo (header + payload + CRC-32), and ``sem:<codec>`` the same for every other codec;
* ``sem-v2``   the whole v2 file (what semenc writes by default since container v2)
  and ``sem-packet`` its packet form, default codec.

Bits per character are ``8 * total bytes / total UTF-8 bytes of canonical text``.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from importlib import resources
from typing import Iterable

from ..container import SemFile, encode, encode_packet, overhead_bytes, packet_overhead_bytes
from ..errors import InputError, PromptError
from ..prompt import Prompt
from ..promptcodec import decode_prompt, encode_prompt
from ..promptcodec.packing import pack
from ..registry import DEFAULT_DECODER, DEFAULT_PROMPT_CODEC, PROMPT_CODECS, decoder_by_name, prompt_codec_by_name

HELDOUT_NAME = "heldout-prompts.jsonl"
MAX_CORPUS_BYTES = 256 * 1024 * 1024  # a corpus file is read whole; refuse anything absurd
SEM_SEED = 0
SEM_SIZE = 512
BASELINES = ("text", "zlib9", "msgpack", "zstd19")
LABELS = {
    "text": "canonical text (UTF-8)",
    "zlib9": "zlib -9 of the text",
    "msgpack": "msgpack, uncompressed",
    "zstd19": "zstd -19 of msgpack, no dictionary",
}


def _other_codecs() -> list:
    return [c for c in PROMPT_CODECS if c.name != DEFAULT_PROMPT_CODEC]


def columns() -> list[str]:
    """Row keys in table order: the baselines, every registered prompt codec, then the
    whole v1 file: ``sem`` (default codec) and ``sem:<codec>`` for every other codec;
    then the default codec in container v2: ``sem-v2`` (file) and ``sem-packet``; last
    ``sem-v2:<codec>`` and ``sem-packet:<codec>`` for every other codec."""
    others = [c.name for c in _other_codecs()]
    return [*BASELINES, *(c.name for c in PROMPT_CODECS), "sem", *(f"sem:{c}" for c in others),
            *V2_COLUMNS, *(f"{form}:{c}" for c in others for form in V2_COLUMNS)]


V2_COLUMNS = ("sem-v2", "sem-packet")


def _zstd19():
    try:
        import zstandard as zstd
    except ImportError:  # a core dependency, but say so plainly if it is gone
        from ..errors import MissingError

        raise MissingError("sembench rate needs zstandard: pip install zstandard") from None
    params = zstd.ZstdCompressionParameters.from_level(
        19, format=zstd.FORMAT_ZSTD1_MAGICLESS, write_content_size=0, write_checksum=0, write_dict_id=0
    )
    return zstd.ZstdCompressor(compression_params=params)


def rate_rows(prompts: Iterable[Prompt]) -> list[dict[str, int]]:
    """One dict of byte counts per prompt, keyed by :func:`columns`."""
    cctx = _zstd19()
    decoder = decoder_by_name(DEFAULT_DECODER)
    sem_columns = [("sem", prompt_codec_by_name(DEFAULT_PROMPT_CODEC)), *((f"sem:{c.name}", c) for c in _other_codecs())]
    rows = []
    for prompt in prompts:
        text = prompt.text().encode("utf-8")
        raw = pack(prompt)
        row = {"text": len(text), "zlib9": len(zlib.compress(text, 9)), "msgpack": len(raw), "zstd19": len(cctx.compress(raw))}
        for spec in PROMPT_CODECS:
            row[spec.name] = len(encode_prompt(prompt, spec))
        for column, spec in sem_columns:
            sem = SemFile(prompt=prompt, decoder=decoder, prompt_codec=spec, seed=SEM_SEED, width=SEM_SIZE, height=SEM_SIZE)
            row[column] = len(encode(sem, version=1))
        for suffix, spec in (("", prompt_codec_by_name(DEFAULT_PROMPT_CODEC)), *((f":{c.name}", c) for c in _other_codecs())):
            sem = SemFile(prompt=prompt, decoder=decoder, prompt_codec=spec, seed=SEM_SEED, width=SEM_SIZE, height=SEM_SIZE)
            row["sem-v2" + suffix] = len(encode(sem, version=2))
            row["sem-packet" + suffix] = len(encode_packet(sem))
        rows.append(row)
    return rows


def sem_overhead(version: int | str = 1) -> int:
    """Bytes of the ``sem`` column's files that are not payload (header + CRC); ``version`` 2
    for the ``sem-v2`` column, ``"packet"`` for ``sem-packet``."""
    kw = dict(seed=SEM_SEED, width=SEM_SIZE, height=SEM_SIZE, decoder_id=decoder_by_name(DEFAULT_DECODER).id,
              codec_id=prompt_codec_by_name(DEFAULT_PROMPT_CODEC).id)
    if version == "packet":
        return packet_overhead_bytes(**kw)
    return overhead_bytes(version=version, **kw)


@dataclass(frozen=True)
class Summary:
    source: str
    prompts: int
    text_bytes: int
    methods: list[dict]  # name, label, total_bytes, mean_bytes, bits_per_char, min_bytes, max_bytes
    overhead_bytes: int  # per .sem file

    def to_json(self) -> dict:
        sem = next(m for m in self.methods if m["name"] == "sem")
        v2 = next(m for m in self.methods if m["name"] == "sem-v2")
        return {
            "source": self.source,
            "prompts": self.prompts,
            "text_bytes": self.text_bytes,
            "sem_overhead_bytes_per_file": self.overhead_bytes,  # the v1 file of the ``sem`` row
            "sem_mean_bpp_512": 8.0 * sem["mean_bytes"] / (SEM_SIZE * SEM_SIZE),
            "default_container": "v2",
            "sem_v2_overhead_bytes_per_file": sem_overhead(version=2),
            "sem_packet_overhead_bytes": sem_overhead(version="packet"),
            "sem_v2_mean_bpp_512": 8.0 * v2["mean_bytes"] / (SEM_SIZE * SEM_SIZE),
            "methods": self.methods,
        }


def summarise(rows: list[dict[str, int]], source: str) -> Summary:
    if not rows:
        raise InputError(f"{source}: no prompts")
    text_total = sum(r["text"] for r in rows)
    methods = []
    codec_ids = {c.name: c.id for c in PROMPT_CODECS}
    for name in columns():
        values = [r[name] for r in rows]
        total = sum(values)
        if name.split(":")[0] in V2_COLUMNS:
            base, _, codec = name.partition(":")
            form = ("file, the default" if not codec else "file") if base == "sem-v2" else "packet (no magic, no CRC)"
            label = f".sem v2 {form} ({codec or DEFAULT_PROMPT_CODEC})"
        elif name == "sem" or name.startswith("sem:"):
            codec = name[4:] or DEFAULT_PROMPT_CODEC
            label = f".sem v1 file ({codec}, {DEFAULT_DECODER}, seed {SEM_SEED}, {SEM_SIZE}x{SEM_SIZE})"
        else:
            label = LABELS.get(name) or f"prompt codec {name} (ID {codec_ids[name]}), payload"
        methods.append(
            {
                "name": name,
                "label": label,
                "total_bytes": total,
                "mean_bytes": total / len(rows),
                "min_bytes": min(values),
                "max_bytes": max(values),
                "bits_per_char": 8.0 * total / text_total,
            }
        )
    return Summary(source=source, prompts=len(rows), text_bytes=text_total, methods=methods, overhead_bytes=sem_overhead())


def format_table(summary: Summary) -> str:
    n = summary.prompts
    lines = [
        f"{n} prompts from {summary.source}; {summary.text_bytes} bytes of canonical text "
        f"(mean {summary.text_bytes / n:.1f})",
        "",
        f"{'method':<56} {'total B':>9} {'mean B':>8} {'min':>5} {'max':>5} {'bits/char':>9}",
    ]
    for m in summary.methods:
        lines.append(
            f"{m['label']:<56} {m['total_bytes']:>9} {m['mean_bytes']:>8.1f} {m['min_bytes']:>5} "
            f"{m['max_bytes']:>5} {m['bits_per_char']:>9.3f}"
        )
    ov = summary.overhead_bytes
    sem = next(m for m in summary.methods if m["name"] == "sem")
    v2 = next(m for m in summary.methods if m["name"] == "sem-v2")
    ov2, ovp = sem_overhead(version=2), sem_overhead(version="packet")
    lines += [
        "",
        f".sem v1 fixed overhead: {ov} bytes a file (header {ov - 4} + CRC-32 4), {ov * n} bytes in all; "
        f"mean .sem v1 {sem['mean_bytes']:.1f} bytes = {8 * sem['mean_bytes'] / (SEM_SIZE * SEM_SIZE):.5f} bpp at "
        f"{SEM_SIZE}x{SEM_SIZE}",
        f".sem v2 (the default): {ov2} bytes a file (header {ov2 - 2} + CRC-16 2), {ov2 * n} bytes in all; "
        f"mean {v2['mean_bytes']:.1f} bytes = {8 * v2['mean_bytes'] / (SEM_SIZE * SEM_SIZE):.5f} bpp; "
        f"packet {ovp} bytes (spec/sem-v2.md)",
    ]
    return "\n".join(lines)


def codec_timings(prompts: list[Prompt], repeat: int = 3) -> list[dict]:
    """Wall-clock cost of every registered prompt codec on these prompts.

    ``first_call_ms``: the first encode in this process (model or dictionary
    loading included, unless an earlier call already loaded it); then each
    prompt is encoded and decoded ``repeat`` times and the fastest run kept.
    ``longest_*`` are for the prompt with the longest canonical text.
    """
    longest = max(range(len(prompts)), key=lambda i: len(prompts[i].text().encode("utf-8")))
    out = []
    for spec in PROMPT_CODECS:
        t0 = time.perf_counter()
        encode_prompt(prompts[0], spec)
        first = time.perf_counter() - t0
        enc: list[float] = []
        dec: list[float] = []
        for p in prompts:
            payload = encode_prompt(p, spec)
            best_e = best_d = float("inf")
            for _ in range(repeat):
                t0 = time.perf_counter()
                encode_prompt(p, spec)
                t1 = time.perf_counter()
                decode_prompt(payload, spec)
                t2 = time.perf_counter()
                best_e, best_d = min(best_e, t1 - t0), min(best_d, t2 - t1)
            enc.append(best_e)
            dec.append(best_d)
        out.append({
            "name": spec.name,
            "first_call_ms": 1e3 * first,
            "encode_mean_ms": 1e3 * sum(enc) / len(enc),
            "encode_max_ms": 1e3 * max(enc),
            "decode_mean_ms": 1e3 * sum(dec) / len(dec),
            "decode_max_ms": 1e3 * max(dec),
            "longest_text_bytes": len(prompts[longest].text().encode("utf-8")),
            "longest_encode_ms": 1e3 * enc[longest],
            "longest_decode_ms": 1e3 * dec[longest],
        })
    return out


def format_timings(timings: list[dict]) -> str:
    n = timings[0]["longest_text_bytes"] if timings else 0
    lines = [
        "",
        f"{'prompt codec (warm, best of 3 a prompt)':<40} {'1st call':>9} {'enc mean':>9} {'enc max':>8} "
        f"{'dec mean':>9} {'dec max':>8} {f'enc {n} B':>10} {f'dec {n} B':>10}",
    ]
    for t in timings:
        lines.append(
            f"{t['name']:<40} {t['first_call_ms']:>7.1f}ms {t['encode_mean_ms']:>7.2f}ms {t['encode_max_ms']:>6.2f}ms "
            f"{t['decode_mean_ms']:>7.2f}ms {t['decode_max_ms']:>6.2f}ms {t['longest_encode_ms']:>8.2f}ms "
            f"{t['longest_decode_ms']:>8.2f}ms"
        )
    return "\n" + "\n".join(lines)


def load_prompts(path: str | None) -> tuple[list[Prompt], str]:
    """Read a JSONL prompt corpus (blank lines skipped); ``None`` is the packaged held-out set."""
    if path is None:
        data = resources.files("semcodec.bench").joinpath("data", HELDOUT_NAME).read_bytes()
        source = f"{HELDOUT_NAME} (packaged held-out set)"
        name = HELDOUT_NAME
    else:
        from ..io import read_bounded

        data = read_bounded(path, MAX_CORPUS_BYTES, what="prompt corpus")
        source = name = str(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    prompts = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            prompts.append(Prompt.from_json(line))
        except PromptError as exc:
            raise PromptError(f"{name}:{lineno}: {exc}") from None
    if not prompts:
        raise InputError(f"{name}: no prompts (expected one JSON prompt object a line)")
    return prompts, source


__all__ = ["rate_rows", "summarise", "load_prompts", "columns", "sem_overhead", "codec_timings"]
