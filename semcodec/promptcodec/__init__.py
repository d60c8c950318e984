"""Prompt codecs by ID: structured prompt <-> payload bytes (spec section 7).

Each codec module exposes ``encode(prompt) -> bytes`` and
``decode(payload) -> Prompt``.  ``decode`` must be bounded in time and memory
and may raise only :class:`FormatError` / :class:`PromptError` for bad payloads;
a damaged or missing installation (e.g. a model file that fails its SHA-256
check) raises :class:`~semcodec.errors.MissingError` instead (exit code 4).
"""

from __future__ import annotations

import importlib

from ..errors import FormatError, PromptError
from ..prompt import Prompt
from ..registry import PromptCodecSpec

# Bound on the decoded (pre-compression) prompt serialisation, in bytes.
MAX_RAW_BYTES = 4096


def _module(spec: PromptCodecSpec):
    return importlib.import_module(f"{__name__}.{spec.module}")


def encode_prompt(prompt: Prompt, spec: PromptCodecSpec) -> bytes:
    return _module(spec).encode(prompt)


def decode_prompt(payload: bytes, spec: PromptCodecSpec) -> Prompt:
    try:
        return _module(spec).decode(payload)
    except (FormatError, PromptError):
        raise
    except MemoryError:
        raise FormatError("prompt payload too large to decode") from None
