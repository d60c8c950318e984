"""The static models of the ``lm-ac`` codecs: tokenizer, model file format, frequency tables.

Everything here is integer-only and deterministic (spec/promptcodec-lm-ac-v1.md
sections 2-3).  Each model file is package data pinned by SHA-256 in
:data:`MODELS`; it is parsed once and its per-context tables are materialised
lazily on first use.  ``lm-ac-v1`` (ID 2) and ``lm-ac-v2`` (ID 3) share this
file format and the coding procedure; they differ only in the model file.
"""

from __future__ import annotations

import hashlib
import re
import struct
import sys
import zlib
from array import array
from functools import lru_cache
from importlib import resources
from itertools import accumulate

from ..errors import MissingError

MODEL_FILE = "lm-ac-v1.bin"  # codec ID 2
MODEL_FILE_V2 = "lm-ac-v2.bin"  # codec ID 3
MODEL_FILE_V3 = "lm-ac-v3-ngram.bin"  # codec ID 4's count tables (its network: nn_model.py)
MODEL_FILE_V4 = "lm-ac-v4-ngram.bin"  # codec ID 5's count tables
MODEL_FILE_V5 = "lm-ac-v5-ngram.bin"  # codec ID 6's count tables
# Model file -> SHA-256, checked on every load.  Each file's bytes are fixed
# forever by its prompt-codec ID: a better model is a new file and a new ID.
MODELS = {
    MODEL_FILE: "5f0aacdbc116e36064409843afc144fcbc4f5bfa0350f38f844fc5805e8bf32a",
    MODEL_FILE_V2: "7d9a60f84ce4c7b141da8754e84c0a15d7242f532afea4b17ad88bba06cf2ef7",
    MODEL_FILE_V3: "b9b97a01b1071dbb70411db2605543c12c27f4bea20b66729d617983fe90831a",
    MODEL_FILE_V4: "501177c7967545355d6dd56e6260e54fa246c87396d6a893e7d23c264e47e18f",
    MODEL_FILE_V5: "e0b6337b4e45047bf84d856c63727a959d2549e24b1f690331cae4a972375952",
}
# Model files stored zlib-compressed in the package as NAME + ".zlib" (the
# SHA-256 above is of the decompressed model file, the bytes the spec defines).
PACKED = frozenset({MODEL_FILE_V2, MODEL_FILE_V3, MODEL_FILE_V4, MODEL_FILE_V5})
PACKED_SUFFIX = ".zlib"
MAX_MODEL_BYTES = 64 * 1024 * 1024  # bound on a decompressed model file
MAGIC = b"SEMLM\x00\x01\x00"

# Field numbers (context component f).
F_SCENE, F_OBJECT, F_LIGHTING, F_STYLE = 0, 1, 2, 3
N_FIELDS = 4

# Table groups, in file order.  Each maps a context (c0, c1, c2) to a table.
G_ORDER2 = 1  # (f, prev2, prev1) -> token id
G_ORDER1 = 2  # (f, prev1, 0)     -> token id
G_ORDER0 = 3  # (f, 0, 0)         -> token id
G_GENERAL = 4  # (0, 0, 0)        -> token id (every vocabulary token)
G_KIND = 5  # (f, 0, 0)           -> spelling kind
G_LETTER = 6  # (prev2, prev1, 0) -> letter 0..25, 26 = end of word (27 = start pad)
G_DIGIT = 7  # (prev1, 0, 0)      -> digit 0..9, 10 = end of number (10 = start)
G_CHAR = 8  # (0, 0, 0)           -> code point (escape: uniform code point)
G_CASE = 9  # (f, prevcase, 0)    -> case class 0..3
G_MORE = 10  # (min(i, 16), 0, 0) -> 0 = no more objects, 1 = another object
G_STYLE = 11  # (0, 0, 0)         -> 0 = no style, 1 = style present
GROUP_IDS = tuple(range(1, 12))

# Spelling kinds (group G_KIND).
K_WORD_SPACE, K_WORD, K_WORD_FROM_GENERAL, K_NUMBER_SPACE, K_NUMBER, K_CHAR = range(6)
N_KINDS = 6

# Case classes (group G_CASE).
C_LOWER, C_TITLE, C_UPPER, C_MIXED = range(4)

END = 0  # the end-of-field symbol; also "beginning of field" as a context
LETTER_END = 26
LETTER_PAD = 27
DIGIT_END = 10
CODEPOINTS = 0x110000
MAX_TOKEN_BYTES = 64

TOKEN_RE = re.compile(r" ?[A-Za-z]+| ?[0-9]+|.", re.DOTALL)
WORD_RE = re.compile(r" ?[a-z]+")
NUMBER_RE = re.compile(r" ?[0-9]+")


class ModelError(MissingError):
    """The shipped model file is missing or damaged (never caused by a payload)."""


# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------


def tokenize(text: str) -> list[str]:
    """Canonical tokens of one non-empty field: the field with one space prepended,
    split into `` ?[A-Za-z]+``, `` ?[0-9]+`` and single characters, leftmost-longest."""
    return TOKEN_RE.findall(" " + text)


def field_ngrams(fields, n: int) -> set[tuple[str, ...]]:
    """Every run of ``n`` consecutive tokens inside one field (lower case, spaces
    dropped, space tokens skipped): how the corpora are checked against the held-out set."""
    out: set[tuple[str, ...]] = set()
    for text in fields:
        toks = [t.lower().strip() for t in tokenize(text) if t.strip()] if text else []
        out.update(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))
    return out


def is_word(token: str) -> bool:
    c = token[-1]
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def case_class(letters: str) -> int:
    """Case class of an ASCII letter run (no leading space)."""
    if letters.islower():
        return C_LOWER
    if letters[0].isupper() and (len(letters) == 1 or letters[1:].islower()):
        return C_TITLE
    if letters.isupper():
        return C_UPPER
    return C_MIXED


def apply_case(letters: str, cls: int) -> str:
    if cls == C_LOWER:
        return letters
    if cls == C_TITLE:
        return letters[0].upper() + letters[1:]
    if cls == C_UPPER:
        return letters.upper()
    raise ValueError("mixed case is spelled letter by letter")


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


class Table:
    """One context's static distribution: symbols ascending, then an optional escape."""

    __slots__ = ("syms", "freqs", "cums", "index", "esc", "total", "n")

    def __init__(self, syms: list[int], freqs: list[int], esc: int) -> None:
        self.syms = syms
        self.freqs = freqs
        self.esc = esc
        self.n = len(syms)
        cums = [0]
        cums.extend(accumulate(freqs))
        self.total = cums[-1] + esc
        if esc == 0:
            cums.pop()
        self.cums = cums  # start of each symbol (and of the escape, if any)
        self.index = {s: i for i, s in enumerate(syms)}


class Exclusion:
    """The symbols of an escaping table removed from the next table visited.

    ``pos``: positions (in the lower table) of the excluded symbols, ascending;
    ``E[k]``: total frequency of the first k of them; ``r[k]``: where, in the
    reduced table, the k-th excluded symbol would have started; ``tot``: E[-1].
    """

    __slots__ = ("pos", "E", "r", "tot")

    def __init__(self, upper: Table, lower: Table) -> None:
        index = lower.index
        pos = sorted(index[s] for s in upper.syms if s in index)
        E = [0]
        r = []
        cums, freqs = lower.cums, lower.freqs
        for i in pos:
            r.append(cums[i] - E[-1])
            E.append(E[-1] + freqs[i])
        self.pos = pos
        self.E = E
        self.r = r
        self.tot = E[-1]


class Group:
    """All tables of one group, keyed by context triple."""

    __slots__ = ("gid", "ctx", "esc", "offs", "syms", "freqs", "_cache")

    def __init__(self, gid: int, ctx: dict, esc, offs, syms, freqs) -> None:
        self.gid = gid
        self.ctx = ctx
        self.esc = esc
        self.offs = offs
        self.syms = syms
        self.freqs = freqs
        self._cache: dict = {}

    def get(self, key: tuple[int, int, int]) -> Table | None:
        t = self._cache.get(key)
        if t is None:
            i = self.ctx.get(key)
            if i is None:
                return None
            a, b = self.offs[i], self.offs[i + 1]
            t = Table(self.syms[a:b].tolist(), self.freqs[a:b].tolist(), self.esc[i])
            self._cache[key] = t
        return t

    def contexts(self) -> list[tuple[int, int, int]]:
        return sorted(self.ctx)


class Model:
    """A parsed model file."""

    def __init__(self, vocab: list[str], groups: dict[int, Group], sha256: str) -> None:
        self.vocab = vocab  # index = token id; vocab[0] == "" is END
        self.ids = {t: i for i, t in enumerate(vocab) if i}
        self.word = [bool(t) and is_word(t) for t in vocab]
        self.unk = len(vocab)  # context value of a token not in the vocabulary
        self.groups = groups
        self.sha256 = sha256
        self._excl: dict = {}

    def exclusion(self, upper: Table, lower: Table) -> Exclusion:
        """Cached exclusion of ``upper``'s symbols from ``lower`` (tables are cached, so ids are stable)."""
        key = (id(upper), id(lower))
        ex = self._excl.get(key)
        if ex is None:
            ex = self._excl[key] = Exclusion(upper, lower)
        return ex


# ---------------------------------------------------------------------------
# File format (spec section 3)
# ---------------------------------------------------------------------------


def _u32(values) -> bytes:
    a = array("I", values)
    if a.itemsize != 4:  # pragma: no cover - exotic platforms
        a = array("L", values)
    if sys.byteorder == "big":  # pragma: no cover
        a.byteswap()
    return a.tobytes()


def _read_u32(data: bytes, pos: int, n: int) -> tuple[array, int]:
    a = array("I")
    if a.itemsize != 4:  # pragma: no cover
        a = array("L")
    end = pos + 4 * n
    if end > len(data):
        raise ModelError("model file truncated")
    a.frombytes(data[pos:end])
    if sys.byteorder == "big":  # pragma: no cover
        a.byteswap()
    return a, end


def dump_model(vocab: list[str], groups: dict[int, list[tuple[tuple[int, int, int], list[tuple[int, int]], int]]]) -> bytes:
    """Serialise.  ``groups[gid]`` is a list of (context, [(sym, freq), ...], esc)."""
    out = bytearray(MAGIC)
    if vocab[0] != "":
        raise ValueError("vocab[0] must be the END placeholder ''")
    out += struct.pack("<I", len(vocab) - 1)
    for tok in vocab[1:]:
        b = tok.encode("utf-8")
        if not 1 <= len(b) <= MAX_TOKEN_BYTES:
            raise ValueError(f"token {tok!r} has a bad length")
        out.append(len(b))
        out += b
    out += struct.pack("<I", len(GROUP_IDS))
    for gid in GROUP_IDS:
        tables = sorted(groups[gid], key=lambda t: t[0])
        n_entries = sum(len(t[1]) for t in tables)
        out += struct.pack("<III", gid, len(tables), n_entries)
        for k in range(3):
            out += _u32([t[0][k] for t in tables])
        out += _u32([t[2] for t in tables])
        offs = [0]
        for t in tables:
            offs.append(offs[-1] + len(t[1]))
        out += _u32(offs)
        syms: list[int] = []
        freqs: list[int] = []
        for ctx, entries, esc in tables:
            entries = sorted(entries)
            prev = -1
            for s, f in entries:
                if s <= prev or f < 1:
                    raise ValueError(f"group {gid} context {ctx}: bad entry {s},{f}")
                prev = s
            if sum(f for _, f in entries) + esc > (1 << 24) or (not entries and not esc):
                raise ValueError(f"group {gid} context {ctx}: bad total")
            syms.extend(s for s, _ in entries)
            freqs.extend(f for _, f in entries)
        out += _u32(syms)
        out += _u32(freqs)
    return bytes(out)


def parse_model(data: bytes, sha256: str | None = None) -> Model:
    """Parse a model file (``sha256``: its digest, if the caller already computed it)."""
    sha = sha256 or hashlib.sha256(data).hexdigest()
    if data[: len(MAGIC)] != MAGIC:
        raise ModelError("not an lm-ac model file")
    pos = len(MAGIC)
    (n_tokens,) = struct.unpack_from("<I", data, pos)
    pos += 4
    vocab = [""]
    for _ in range(n_tokens):
        n = data[pos]
        vocab.append(data[pos + 1 : pos + 1 + n].decode("utf-8"))
        pos += 1 + n
    (n_groups,) = struct.unpack_from("<I", data, pos)
    pos += 4
    groups: dict[int, Group] = {}
    for _ in range(n_groups):
        gid, n_ctx, n_entries = struct.unpack_from("<III", data, pos)
        pos += 12
        c0, pos = _read_u32(data, pos, n_ctx)
        c1, pos = _read_u32(data, pos, n_ctx)
        c2, pos = _read_u32(data, pos, n_ctx)
        esc, pos = _read_u32(data, pos, n_ctx)
        offs, pos = _read_u32(data, pos, n_ctx + 1)
        syms, pos = _read_u32(data, pos, n_entries)
        freqs, pos = _read_u32(data, pos, n_entries)
        ctx = dict(zip(zip(c0, c1, c2), range(n_ctx)))
        groups[gid] = Group(gid, ctx, esc, offs, syms, freqs)
    if pos != len(data) or sorted(groups) != list(GROUP_IDS):
        raise ModelError("model file has a bad layout")
    return Model(vocab, groups, sha)


def model_bytes(name: str, packed: bool | None = None) -> bytes:
    """A data file's bytes as the spec defines them, decompressed if stored packed
    (``packed``: whether it is; default: whether ``name`` is in :data:`PACKED`)."""
    packed = name in PACKED if packed is None else packed
    stored = name + PACKED_SUFFIX if packed else name
    try:
        data = resources.files(__package__).joinpath("data", stored).read_bytes()
    except OSError as exc:
        raise ModelError(f"the prompt model file {stored} is missing ({exc}); reinstall semcodec") from None
    return unpack(data, stored) if packed else data


def unpack(stored: bytes, what: str = "model file") -> bytes:
    """Decompress a packed model file (one complete zlib stream, RFC 1950), at most :data:`MAX_MODEL_BYTES`."""
    d = zlib.decompressobj()
    try:
        data = d.decompress(stored, MAX_MODEL_BYTES + 1)
    except zlib.error:
        data = b""
    if not d.eof or d.unconsumed_tail or d.unused_data or len(data) > MAX_MODEL_BYTES:
        raise ModelError(f"{what} is damaged; reinstall semcodec")
    return data


def check_pinned(name: str, pinned: dict, read) -> tuple[bytes, str]:
    """``read(name)``'s bytes and their SHA-256, which must be ``pinned[name]`` (else the installation is damaged)."""
    if name not in pinned:
        raise ModelError(f"unknown prompt model file {name}")
    data = read(name)
    sha = hashlib.sha256(data).hexdigest()
    if sha != pinned[name]:
        raise ModelError(f"{name} does not match the pinned SHA-256; the installation is damaged, reinstall semcodec")
    return data, sha


@lru_cache(maxsize=None)
def load_model(name: str) -> Model:
    """A shipped model file (one of :data:`MODELS`), checked against its pinned SHA-256; parsed once."""
    return parse_model(*check_pinned(name, MODELS, model_bytes))
