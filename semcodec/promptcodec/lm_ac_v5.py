"""``lm-ac-v5`` (prompt codec ID 6): ``lm-ac-v4`` with two networks, retrained on all the written text.

Spec: spec/promptcodec-lm-ac-v5.md.  Changes from ``lm-ac-v4``, whose symbol
sequence, chain, cache, fallback table and zero-tail termination it keeps:

* its own three files: two networks in the ``lm-ac-v3`` layout with one
  vocabulary (``lm-ac-v5.bin``, ``lm-ac-v5b.bin``: the same text, two seeds)
  and the count tables ``lm-ac-v5-ngram.bin``, all trained on every written
  prompt but the tuning set (two whole parts of ``corpus/lm-extra-v5.jsonl``);
* the network distribution is the mean of the two networks' (each keeps its
  own bag of embeddings);
* its own weight table :data:`WEIGHTS` and cache weight :data:`CACHE_WEIGHT`, fitted on the tuning set.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import FormatError
from ..prompt import Prompt
from . import lm_model as M
from . import lm_ac_v3 as V3
from . import lm_ac_v4 as V4
from . import nn_model as N
from .lm_ac import encode_sequence

# The networks' weight (of 256) in the mixture, by the order of the chain's first table (0 general,
# 1 order 0, 2 order 1, 3 order 2) and the bucket min(total.bit_length(), 24) // 2 of its total
# (lm-ac-v4's lookup; refitted on the tuning set, 154 where it has no token)
WEIGHTS = (
    (154, 154, 154, 154, 154, 154, 154, 154, 154, 154, 154, 154, 154),
    (154, 154, 154, 154, 154, 154, 154, 154, 154, 216, 154, 154, 154),
    (154, 154, 154, 172, 192, 192, 180, 204, 204, 208, 154, 154, 154),
    (154, 154, 154, 164, 152, 148, 168, 188, 220, 224, 228, 154, 154),
)
N_BUCKETS = 13
CACHE_WEIGHT = 12  # of 256 (lm-ac-v4: 4)

NET_FILES = (N.MODEL_FILE_V5, N.MODEL_FILE_V5B)
COUNT_FILE = M.MODEL_FILE_V5


def weight_of(order: int, total: int) -> int:
    return V4.weight_of(order, total, WEIGHTS)


@lru_cache(maxsize=None)
def _second() -> N.NetModel:
    net = N.load_net(NET_FILES[1])
    if net.vocab != N.load_net(NET_FILES[0]).vocab:  # pragma: no cover - the pinned files share one
        raise FormatError("lm-ac-v5's two networks must share one vocabulary")
    return net


def _models():
    return V3.load_models(COUNT_FILE, NET_FILES[0])


class _Context(V4._Context):
    weights = WEIGHTS
    cache_weight = CACHE_WEIGHT

    def more_nets(self) -> tuple[N.NetModel, ...]:
        """Network B: lm-ac-v3's net_q averages it with network A, q = (qA + qB) >> 1, each with its own bag sum."""
        return (_second(),)


class _NetEncoder(V4._NetEncoder):
    models = staticmethod(_models)
    context = _Context


class _NetDecoder(V4._NetDecoder):
    models = staticmethod(_models)
    context = _Context


def encode(prompt: Prompt) -> bytes:
    return encode_sequence(_NetEncoder(), prompt)


def decode(payload: bytes) -> Prompt:
    return V3.decode_with(_NetEncoder, _NetDecoder, payload)
