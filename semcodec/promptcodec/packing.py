"""The compact msgpack shape shared by the v1 prompt codecs (spec section 7.1).

A prompt is a msgpack array of 3 or 4 elements, positional:
``[scene, [object, ...], lighting]`` or ``[scene, [object, ...], lighting, style]``.
Only str and array types are allowed; anything else is a format error.
"""

from __future__ import annotations

import msgpack

from ..errors import FormatError, PromptError
from ..prompt import MAX_OBJECTS, Prompt
from . import MAX_RAW_BYTES


def pack(prompt: Prompt) -> bytes:
    items: list = [prompt.scene, list(prompt.objects), prompt.lighting]
    if prompt.style is not None:
        items.append(prompt.style)
    return msgpack.packb(items, use_bin_type=True)


def unpack(raw: bytes) -> Prompt:
    if len(raw) > MAX_RAW_BYTES:
        raise FormatError(f"prompt serialisation exceeds {MAX_RAW_BYTES} bytes")
    try:
        items = msgpack.unpackb(
            raw,
            raw=False,
            use_list=True,
            strict_map_key=True,
            max_str_len=MAX_RAW_BYTES,
            max_bin_len=0,
            max_array_len=max(4, MAX_OBJECTS + 1),
            max_map_len=0,
            max_ext_len=0,
        )
    except msgpack.ExtraData:
        raise FormatError("trailing bytes after the prompt") from None
    except UnicodeDecodeError:
        raise FormatError("prompt string is not valid UTF-8") from None
    except msgpack.exceptions.StackError:  # carries no message of its own
        raise FormatError("malformed prompt msgpack: nested too deeply") from None
    except (ValueError, TypeError, msgpack.UnpackException, msgpack.exceptions.StackError) as exc:
        raise FormatError(f"malformed prompt msgpack: {exc}") from None
    if not isinstance(items, list) or len(items) not in (3, 4):
        raise FormatError("prompt must be a msgpack array of 3 or 4 elements")
    scene, objects, lighting = items[:3]
    style = items[3] if len(items) == 4 else None
    if not isinstance(objects, list):
        raise FormatError("prompt objects must be a msgpack array")
    named = [("scene", scene), ("lighting", lighting)] + ([("style", style)] if len(items) == 4 else [])
    for name, value in named:
        if not isinstance(value, str):
            raise FormatError(f"prompt {name} must be a msgpack str")
    if not all(isinstance(o, str) for o in objects):
        raise FormatError("prompt objects must be msgpack strs")
    try:
        return Prompt(scene=scene, objects=tuple(objects), lighting=lighting, style=style)
    except PromptError as exc:
        raise FormatError(f"invalid prompt: {exc}") from None
