"""The structured prompt: fields, validation rules and the canonical text.

The rules here are normative (spec/sem-v1.md, section 3).  Strings are stored
exactly as given: nothing is normalised, stripped or re-cased.  A string that
breaks a rule is refused with :class:`PromptError`, both when encoding and when
decoding, so a decoder never repairs a prompt silently.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from .errors import PromptError

# Limits, in UTF-8 bytes unless stated (spec section 3.2).
MAX_SCENE_BYTES = 400
MAX_OBJECTS = 16
MAX_OBJECT_BYTES = 120
MAX_LIGHTING_BYTES = 200
MAX_STYLE_BYTES = 200
MAX_TEXT_BYTES = 1024  # the canonical text rendering as a whole

FIELDS = ("scene", "objects", "lighting", "style")
SEPARATOR = ", "


def _check_text(name: str, value: Any, *, max_bytes: int, allow_empty: bool) -> None:
    if not isinstance(value, str):
        raise PromptError(f"{name} must be a string, not {type(value).__name__}")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise PromptError(f"{name} is not valid Unicode text (lone surrogate)") from None
    if not value and not allow_empty:
        raise PromptError(f"{name} must not be empty")
    if size > max_bytes:
        raise PromptError(f"{name} is {size} bytes of UTF-8, the limit is {max_bytes}")
    for ch in value:
        if unicodedata.category(ch) == "Cc":
            raise PromptError(f"{name} contains control character U+{ord(ch):04X}")


@dataclass(frozen=True)
class Prompt:
    """scene, objects (order kept), lighting, optional style."""

    scene: str
    objects: tuple[str, ...] = field(default_factory=tuple)
    lighting: str = ""
    style: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.objects, list):
            object.__setattr__(self, "objects", tuple(self.objects))
        self.validate()

    # -- rules -----------------------------------------------------------
    def validate(self) -> None:
        _check_text("scene", self.scene, max_bytes=MAX_SCENE_BYTES, allow_empty=False)
        if not isinstance(self.objects, tuple):
            raise PromptError(f"objects must be a list of strings, not {type(self.objects).__name__}")
        if len(self.objects) > MAX_OBJECTS:
            raise PromptError(f"{len(self.objects)} objects, the limit is {MAX_OBJECTS}")
        for i, obj in enumerate(self.objects):
            _check_text(f"objects[{i}]", obj, max_bytes=MAX_OBJECT_BYTES, allow_empty=False)
        _check_text("lighting", self.lighting, max_bytes=MAX_LIGHTING_BYTES, allow_empty=True)
        if self.style is not None:
            _check_text("style", self.style, max_bytes=MAX_STYLE_BYTES, allow_empty=False)
        size = len(self.text().encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            raise PromptError(f"canonical text is {size} bytes, the limit is {MAX_TEXT_BYTES}")

    # -- canonical text (spec section 4) ---------------------------------
    def parts(self) -> list[str]:
        """The non-empty fields in canonical order: scene, objects..., lighting, style."""
        out = [self.scene, *self.objects]
        if self.lighting:
            out.append(self.lighting)
        if self.style:
            out.append(self.style)
        return out

    def text(self) -> str:
        """The canonical text rendering, the exact text a text-to-image model receives."""
        return SEPARATOR.join(self.parts())

    # -- conversions ------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "scene": self.scene,
            "objects": list(self.objects),
            "lighting": self.lighting,
            "style": self.style,
        }

    @classmethod
    def from_dict(cls, data: Any) -> "Prompt":
        """Build from the JSON form; unknown keys and wrong types are refused."""
        if not isinstance(data, dict):
            raise PromptError("a prompt must be a JSON object with keys scene, objects, lighting, style")
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise PromptError(f"unknown prompt key(s): {', '.join(map(str, unknown))}")
        for key in ("scene", "objects", "lighting"):
            if key not in data:
                raise PromptError(f"prompt is missing the key {key!r}")
        objects = data["objects"]
        if not isinstance(objects, list):
            raise PromptError(f"objects must be a list of strings, not {type(objects).__name__}")
        return cls(
            scene=data["scene"],
            objects=tuple(objects),
            lighting=data["lighting"],
            style=data.get("style"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> "Prompt":
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PromptError(f"not valid JSON: {exc}") from None
        except RecursionError:
            raise PromptError("not valid JSON: nested too deeply") from None
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> "Prompt":
        data = self.to_dict()
        data.update(changes)
        return Prompt.from_dict(data)

    def with_objects(self, objects: Iterable[str]) -> "Prompt":
        return self.replace(objects=list(objects))
