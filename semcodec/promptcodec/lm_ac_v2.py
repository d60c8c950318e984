"""``lm-ac-v2`` (prompt codec ID 3): the ``lm-ac-v1`` procedure with a better model file.

Tokens, symbol sequence, range coder and validity rules are those of
``lm-ac-v1`` (spec/promptcodec-lm-ac-v1.md sections 1, 2, 4, 5); only the
static model differs: ``data/lm-ac-v2.bin`` (spec/promptcodec-lm-ac-v2.md).
"""

from __future__ import annotations

from ..prompt import Prompt
from . import lm_model as M
from .lm_ac import decode_with, encode_with


def encode(prompt: Prompt) -> bytes:
    return encode_with(M.load_model(M.MODEL_FILE_V2), prompt)


def decode(payload: bytes) -> Prompt:
    return decode_with(M.load_model(M.MODEL_FILE_V2), bytes(payload))
