"""The integer neural token model of ``lm-ac-v3`` (spec/promptcodec-lm-ac-v3.md sections 2-3).

A feed-forward network predicts the next token of a field from the last three
tokens of the field, the field (and object index), the position in the field
and the mean embedding of the last 64 tokens of the whole prompt.  Every step
is integer arithmetic on int64 numpy arrays (exact: no product or sum can
exceed 2**62 with the bounds checked at load), so every machine computes the
same frequency table, bit for bit.  The model file is package data pinned by
SHA-256 in :data:`MODELS`; floats appear only in ``tools/train_prompt_nn.py``.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .lm_model import MAX_TOKEN_BYTES, ModelError, check_pinned, model_bytes

MODEL_FILE = "lm-ac-v3.bin"  # codec ID 4, stored zlib-compressed as MODEL_FILE + ".zlib"
MODEL_FILE_V4 = "lm-ac-v4.bin"  # codec ID 5's network, stored the same way
MODEL_FILE_V5 = "lm-ac-v5.bin"  # codec ID 6's first network
MODEL_FILE_V5B = "lm-ac-v5b.bin"  # codec ID 6's second network (same corpora, another seed)
# file -> SHA-256, checked on every load
MODELS = {
    MODEL_FILE: "326347c30b8f3dddcb0c48ffa33df46f0e8a6a97a65ab0c553451470b4f47d5e",
    MODEL_FILE_V4: "2fcdb8cd1db8b2c6fab4ce75747cb185e46c73d7bdc3f4d8d974a7aa22386305",
    MODEL_FILE_V5: "c66840d18c6be8612986f77a300efbe99201e486ed8cbb1f6988335867ab3301",
    MODEL_FILE_V5B: "cba37ec92f4e8ad6b9e0afd43b56c26b45cf08ce67a886a96e2a2199c2b10ff3",
}
MAGIC = b"SEMNN\x00\x01\x00"

CONTEXT = 3  # previous tokens of the field the network sees
BAG = 64  # the mean embedding covers at most this many previous tokens of the prompt
N_FIELD_CODES = 8  # scene 0, lighting 2, style 3, object k 4 + min(k, 3); 1 is unused
N_POSITIONS = 8  # position in the field, min(t, 7)
FREQ_TOTAL = 1 << 24  # every table's total (the range coder's MAX_TOTAL)
ACT_MAX = (1 << 15) - 1  # hidden activations are clipped to [0, ACT_MAX]
MAX_DIM = 4096
MAX_VOCAB = 1 << 20
END = 0  # output symbol 0: end of field


@dataclass(frozen=True)
class Layer:
    """``y = (W @ x * mult + bias) >> shift`` per output row (int8 W, positive mult)."""

    W: np.ndarray  # int64 [out, in], values in [-127, 127]
    mult: np.ndarray  # int64 [out], 1 <= mult < 2**16
    bias: np.ndarray  # int64 [out], |bias| < 2**40
    shift: int  # 0..48

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return (self.W @ x * self.mult + self.bias) >> self.shift


class NetModel:
    """A parsed ``lm-ac-v3`` model file."""

    def __init__(self, vocab: list[str], emb: np.ndarray, fields: np.ndarray, pos: np.ndarray,
                 layers: tuple[Layer, Layer, Layer], exp: np.ndarray, mix: np.ndarray, sha256: str) -> None:
        self.vocab = vocab  # output symbols: 0 END, 1..V-2 tokens, V-1 OTHER
        self.V = len(vocab)
        self.OTHER = self.V - 1
        self.BOS = self.V  # input-only id: before the first token of a field
        self.ids = {t: i for i, t in enumerate(vocab) if 0 < i < self.OTHER}
        self.emb = emb  # int64 [V + 1, d]
        self.fields = fields  # int64 [8, d]
        self.pos = pos  # int64 [8, d]
        self.l1, self.l2, self.out = layers
        self.exp = exp  # int64 [L]: EXP[t], t = logit distance from the largest logit
        self.mix = mix  # int64 [8]: the network's weight (of 256) in the mixture, per field code
        self.sha256 = sha256

    def freqs(self, prev: list[int], field_code: int, position: int, bag_sum: np.ndarray, bag_n: int) -> np.ndarray:
        """The frequency table (int64 [V], each >= 1, summing to at most FREQ_TOTAL) of the next symbol.

        ``prev``: the last CONTEXT input ids of the field, most recent first (BOS-padded);
        ``bag_sum``: the sum of the embeddings of the last ``bag_n`` (<= BAG) tokens of the prompt.
        """
        e = self.emb
        bag = (2 * bag_sum + bag_n) // (2 * bag_n) if bag_n else np.zeros_like(bag_sum)  # rounded mean
        x = np.concatenate([e[prev[0]], e[prev[1]], e[prev[2]], self.fields[field_code], self.pos[position], bag])
        h = np.clip(self.l1(x), 0, ACT_MAX)
        h = np.clip(self.l2(h), 0, ACT_MAX)
        z = self.out(h)
        t = np.minimum(z.max() - z, len(self.exp) - 1)
        w = self.exp[t]
        return 1 + w * (FREQ_TOTAL - self.V) // int(w.sum())


# ---------------------------------------------------------------------------
# File format (spec section 3)
# ---------------------------------------------------------------------------

_HEADER = struct.Struct("<8I")  # V, d, H, D, L (EXP length), shift1, shift2, shift3


def _i8(a: np.ndarray) -> bytes:
    a = np.asarray(a)
    if a.min() < -127 or a.max() > 127:
        raise ValueError("int8 tensor out of range")
    return a.astype("<i1").tobytes()


def dump_net(vocab: list[str], emb, fields, pos, layers, exp, mix) -> bytes:
    """Serialise.  ``layers``: three (W, mult, bias, shift) tuples; arrays of Python ints are fine."""
    V = len(vocab)
    d = int(np.asarray(emb).shape[1])
    (W1, _, _, s1), (W2, _, _, s2), (W3, _, _, s3) = layers
    H, D = int(np.asarray(W1).shape[0]), int(np.asarray(W2).shape[0])
    out = bytearray(MAGIC)
    out += _HEADER.pack(V, d, H, D, len(exp), s1, s2, s3)
    if vocab[0] != "" or vocab[-1] != "":
        raise ValueError("vocab[0] (END) and vocab[-1] (OTHER) must be ''")
    for tok in vocab[1:-1]:
        b = tok.encode("utf-8")
        if not 1 <= len(b) <= MAX_TOKEN_BYTES:
            raise ValueError(f"token {tok!r} has a bad length")
        out.append(len(b))
        out += b
    out += _i8(emb) + _i8(fields) + _i8(pos)
    for W, mult, bias, _ in layers:
        out += _i8(W)
        out += np.asarray(mult, dtype="<u2").tobytes()
        out += np.asarray(bias, dtype="<i8").tobytes()
    out += np.asarray(exp, dtype="<u4").tobytes()
    if len(mix) != N_FIELD_CODES or not all(1 <= w <= 255 for w in mix):
        raise ValueError("mixture weights must be 8 values in 1..255")
    out += bytes(mix)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ModelError("model file truncated")
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def array(self, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
        n = int(np.prod(shape))
        size = np.dtype(dtype).itemsize
        return np.frombuffer(self.take(n * size), dtype=dtype).reshape(shape).astype(np.int64)


def parse_net(data: bytes, sha256: str | None = None) -> NetModel:
    sha = sha256 or hashlib.sha256(data).hexdigest()
    if data[: len(MAGIC)] != MAGIC:
        raise ModelError("not an lm-ac-v3 model file")
    r = _Reader(data, len(MAGIC))
    V, d, H, D, L, s1, s2, s3 = _HEADER.unpack(r.take(_HEADER.size))
    if not (3 <= V <= MAX_VOCAB and 1 <= min(d, H, D) and max(d, H, D) <= MAX_DIM and 1 <= L <= 1 << 16
            and max(s1, s2, s3) <= 48):
        raise ModelError("model file has a bad header")
    vocab = [""]
    for _ in range(V - 2):
        (n,) = r.take(1)
        vocab.append(r.take(n).decode("utf-8"))
    vocab.append("")
    emb = r.array("<i1", (V + 1, d))
    fields = r.array("<i1", (N_FIELD_CODES, d))
    pos = r.array("<i1", (N_POSITIONS, d))
    layers = []
    for n_out, n_in, s in ((H, (CONTEXT + 3) * d, s1), (D, H, s2), (V, D, s3)):
        W = r.array("<i1", (n_out, n_in))
        mult = r.array("<u2", (n_out,))
        bias = r.array("<i8", (n_out,))
        if mult.min() < 1 or np.abs(bias).max() >= 1 << 40:
            raise ModelError("model file has a bad layer")
        layers.append(Layer(W, mult, bias, s))
    exp = r.array("<u4", (L,))
    mix = r.array("u1", (N_FIELD_CODES,))
    if r.pos != len(data) or exp[0] < 1 or np.any(np.diff(exp) > 0) or mix.min() < 1 or mix.max() > 255:
        raise ModelError("model file has a bad layout")
    return NetModel(vocab, emb, fields, pos, tuple(layers), exp, mix, sha)


def net_bytes(name: str = MODEL_FILE) -> bytes:
    """The network file's bytes (always stored zlib-compressed)."""
    return model_bytes(name, packed=True)


@lru_cache(maxsize=None)
def load_net(name: str = MODEL_FILE) -> NetModel:
    """The shipped network, checked against its pinned SHA-256; parsed once."""
    return parse_net(*check_pinned(name, MODELS, lambda n: net_bytes(n)))
