"""``lm-ac-v4`` (prompt codec ID 5): ``lm-ac-v3`` with more text, a weight by context, a cache, a shorter tail.

Spec: spec/promptcodec-lm-ac-v4.md.  Four changes from ``lm-ac-v3``, whose
symbol sequence, network layout and forward pass, chain and fallback table it
otherwise keeps:

* its own two files, trained on more written text: the network
  ``lm-ac-v4.bin`` (``corpus/lm-extra-v4.jsonl`` added) and the count tables
  ``lm-ac-v4-ngram.bin`` (the v1 layout; ``lm-extra-v4`` and ``v5`` added);
* the network's weight in the mixture depends on the first table of the
  count chain for the context: its order and the size of its total
  (:data:`WEIGHTS`), not on the field;
* the mixture is mixed once more, with weight :data:`CACHE_WEIGHT`, with the
  distribution of the token symbols in the bag (the cache);
* the range coder ends with the shortest non-empty tail that, followed by
  zero bytes, lies in the final interval (``RangeEncoder.finish_zero_tail``).
"""

from __future__ import annotations

import numpy as np

from ..prompt import Prompt
from . import lm_model as M
from . import lm_ac_v3 as V3
from . import nn_model as N
from .lm_ac import encode_sequence

# The network's weight (of 256) in the mixture, by the order of the chain's
# first table (0 general, 1 order 0, 2 order 1, 3 order 2) and the bucket
# min(total.bit_length(), 24) // 2 of that table's total (spec section 2).
WEIGHTS = (
    (154, 154, 154, 154, 154, 154, 154, 154, 154, 154, 154, 154, 154),
    (208, 208, 208, 208, 208, 208, 208, 208, 208, 208, 208, 208, 208),
    (168, 168, 168, 168, 154, 174, 186, 166, 204, 199, 199, 199, 199),
    (108, 108, 108, 108, 88, 107, 113, 155, 206, 247, 241, 241, 241),
)
N_BUCKETS = 13


def weight_of(order: int, total: int, table: tuple[tuple[int, ...], ...] = WEIGHTS) -> int:
    return table[order][min(total.bit_length(), 24) // 2]


CACHE_WEIGHT = 4  # of 256: the weight of the prompt's own recent tokens (the cache, spec section 2.2)


class _Context(V3._Context):
    weights = WEIGHTS  # a successor codec sets its own table and cache weight
    cache_weight = CACHE_WEIGHT

    def weight(self, order: int, total: int) -> int:
        return weight_of(order, total, self.weights)

    def mixture(self) -> np.ndarray:
        """lm-ac-v3's mixture, then mixed with the cache: the bag's token symbols (not END, not OTHER) by count."""
        g = super().mixture()
        net = self.net
        seen = [s for s in self.bag if s != N.END and s != net.OTHER]
        if not seen:
            return g
        c = np.bincount(np.asarray(seen, dtype=np.int64), minlength=net.V) * (1 << 24) // len(seen)
        w = self.cache_weight
        return ((256 - w) * g + w * c) >> 8


NET_FILE = N.MODEL_FILE_V4  # the network (nn_model.py layout), pinned in nn_model.MODELS


def _models():
    return V3.load_models(M.MODEL_FILE_V4, NET_FILE)


class _NetEncoder(V3._NetEncoder):
    models = staticmethod(_models)
    context = _Context

    def finish(self) -> bytes:
        return self.rc.finish_zero_tail()


class _NetDecoder(V3._NetDecoder):
    models = staticmethod(_models)
    context = _Context


def encode(prompt: Prompt) -> bytes:
    return encode_sequence(_NetEncoder(), prompt)


def decode(payload: bytes) -> Prompt:
    return V3.decode_with(_NetEncoder, _NetDecoder, payload)
