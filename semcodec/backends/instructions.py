"""What a describer model is told, and how its answer is checked.

Plain functions and constants, shared by every describer backend (the OpenAI
one and local VLMs): the JSON schema of the answer, the instruction texts for
describe / refine / compress, and :func:`parse_prompts`, which turns a model's
answer into validated :class:`~semcodec.prompt.Prompt` objects or raises
:class:`~semcodec.errors.BackendError`.  Nothing here imports a heavy library.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import BackendError, PromptError
from ..prompt import (
    FIELDS,
    MAX_LIGHTING_BYTES,
    MAX_OBJECT_BYTES,
    MAX_OBJECTS,
    MAX_SCENE_BYTES,
    MAX_STYLE_BYTES,
    SEPARATOR,
    Prompt,
)

SCHEMA_NAME = "semcodec_prompts"  # a-z, A-Z, 0-9, _ and - only; at most 64 characters
MAX_M = 32  # more candidates than this in one call is a caller error

_PROMPT_ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "scene": {
            "type": "string",
            "description": f"the whole picture in a few words: subject, setting, composition (<= {MAX_SCENE_BYTES} bytes)",
        },
        "objects": {
            "type": "array",
            "description": f"the most visible things, most important first, each a short noun phrase "
            f"with colour/material/position (at most {MAX_OBJECTS}, each <= {MAX_OBJECT_BYTES} bytes)",
            "items": {"type": "string"},
            "maxItems": MAX_OBJECTS,
        },
        "lighting": {
            "type": "string",
            "description": f"light, time of day, weather, colour mood; empty string if nothing to say (<= {MAX_LIGHTING_BYTES} bytes)",
        },
        "style": {
            "type": ["string", "null"],
            "description": f"medium or rendering style (photo, watercolour, 3D render...), null if an ordinary photo (<= {MAX_STYLE_BYTES} bytes)",
        },
    },
    "required": list(FIELDS),
    "additionalProperties": False,
}


def _check_m(m: int) -> None:
    if not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= MAX_M:
        raise ValueError(f"m must be an integer from 1 to {MAX_M}, not {m!r}")


def prompt_json_schema(m: int) -> dict[str, Any]:
    """JSON schema of an answer holding exactly ``m`` structured prompts.

    The root is an object ``{"prompts": [...]}`` (strict structured outputs
    need an object root); every key is required and no other key is allowed,
    so the schema is usable with OpenAI's ``strict: true``.
    """
    _check_m(m)
    return {
        "type": "object",
        "properties": {
            "prompts": {
                "type": "array",
                "description": f"exactly {m} candidate prompt(s)",
                "items": json.loads(json.dumps(_PROMPT_ITEM_SCHEMA)),  # a private copy
                "minItems": m,
                "maxItems": m,
            }
        },
        "required": ["prompts"],
        "additionalProperties": False,
    }


def _budget_rule(max_text_bytes: int) -> str:
    return (
        f"The image is regenerated from the canonical text of a prompt: its non-empty fields joined with "
        f"{SEPARATOR!r} in the order scene, objects..., lighting, style. That text must be at most "
        f"{max_text_bytes} bytes of UTF-8, separators included, so every byte must carry visual information: "
        "no filler words, no 'an image of', no opinions, no text the picture does not show."
    )


_FIELD_RULES = (
    "Fields: scene (required, non-empty), objects (a list of short non-empty noun phrases, most important "
    "first), lighting (may be the empty string), style (null unless the picture is clearly not an ordinary "
    "photograph, e.g. a painting, drawing, cartoon or 3D render). No line breaks or control characters."
)


def _check_budget(max_text_bytes: int) -> None:
    if not isinstance(max_text_bytes, int) or max_text_bytes < 8:
        raise ValueError(f"max_text_bytes must be an integer >= 8, not {max_text_bytes!r}")


def describe_instructions(m: int, max_text_bytes: int, caption: str | None = None) -> str:
    """Instructions for round 1: describe the attached image as ``m`` candidate prompts."""
    _check_m(m)
    _check_budget(max_text_bytes)
    lines = [
        "You write prompts for a text-to-image model so that it redraws the attached image as closely as "
        "possible: same subject, layout, colours, lighting and style.",
        _budget_rule(max_text_bytes),
        _FIELD_RULES,
        f"Return exactly {m} candidate prompt(s) as JSON {{\"prompts\": [...]}}."
        + (" Make them differ from each other (wording, which details are kept, their order) so the best one can be chosen." if m > 1 else ""),
    ]
    if caption:
        lines.append(f"A first caption of the image, which may be wrong or incomplete: {caption!r}")
    return "\n".join(lines)


def refine_instructions(best: Prompt, m: int, max_text_bytes: int, score: float | None = None) -> str:
    """Instructions for rounds t > 1: ``m`` corrected variants of the best prompt so far.

    With ``score`` given the refiner is sent two images, labelled in the
    message: the original and the best prompt's render (its critic CLIPSim is
    ``score``), and is asked to correct what the render gets wrong.
    """
    _check_m(m)
    _check_budget(max_text_bytes)
    if score is None:
        lead = ("You improve a prompt for a text-to-image model so that it redraws the attached image more "
                "closely: fix what is wrong or missing, drop what does not help, keep what is right.")
        look: list[str] = []
    else:
        lead = ("You improve a prompt for a text-to-image model.  Two images are attached: image 1 is the ORIGINAL "
                "to match; image 2 is what the text-to-image model drew from the best prompt so far "
                f"(CLIP image similarity to the original {score:.3f}, 1.0 would be identical).")
        look = ["Compare image 2 with image 1 and correct the prompt: objects missing or extra, wrong counts, "
                "wrong colours, sizes or positions, wrong scene, lighting or style.  Describe the original, "
                "never the render; keep what the render already gets right."]
    return "\n".join(
        [
            lead,
            *look,
            _budget_rule(max_text_bytes),
            _FIELD_RULES,
            "The best prompt so far, as JSON: " + json.dumps(best.to_dict(), ensure_ascii=False),
            f"Its canonical text ({len(best.text().encode('utf-8'))} bytes): {best.text()!r}",
            f"Return exactly {m} corrected variant(s) as JSON {{\"prompts\": [...]}}, each a different attempt.",
        ]
    )


def compress_instructions(prompt: Prompt, max_text_bytes: int) -> str:
    """Instructions to shorten ``prompt`` to ``max_text_bytes`` keeping its visual meaning."""
    _check_budget(max_text_bytes)
    size = len(prompt.text().encode("utf-8"))
    return "\n".join(
        [
            "You shorten a prompt for a text-to-image model without changing the picture it describes.",
            _budget_rule(max_text_bytes),
            _FIELD_RULES,
            "The prompt, as JSON: " + json.dumps(prompt.to_dict(), ensure_ascii=False),
            f"Its canonical text is {size} bytes; make it at most {max_text_bytes} bytes: use shorter words, "
            "merge or drop the least visible objects, drop the style if it is an ordinary photo.",
            'Return exactly 1 prompt as JSON {"prompts": [...]}.',
        ]
    )


_FENCE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n(.*)\n```$", re.DOTALL)


def _decode(text_or_obj: Any) -> Any:
    if isinstance(text_or_obj, (bytes, bytearray)):
        try:
            text_or_obj = bytes(text_or_obj).decode("utf-8")
        except UnicodeDecodeError:
            raise BackendError("model output is not UTF-8 text") from None
    if not isinstance(text_or_obj, str):
        return text_or_obj
    text = text_or_obj.strip()
    fenced = _FENCE.match(text)  # local models like to wrap JSON in a Markdown fence
    if fenced:
        text = fenced.group(1).strip()
    try:
        return json.loads(text)
    except ValueError as exc:
        snippet = text[:60].replace("\n", " ")
        raise BackendError(f"model output is not valid JSON ({exc.msg} at char {exc.pos}): {snippet!r}") from None


def parse_prompts(text_or_obj: Any, m: int) -> list[Prompt]:
    """Validate a model answer and return exactly ``m`` prompts.

    Accepts the JSON text (optionally in a Markdown code fence) or the decoded
    object: ``{"prompts": [...]}`` or a bare list.  A ``style`` of ``""`` means
    no style (``None``); nothing else is repaired.  Any departure from the
    schema or the prompt rules raises :class:`BackendError`.
    """
    _check_m(m)
    data = _decode(text_or_obj)
    if isinstance(data, dict):
        extra = sorted(set(data) - {"prompts"})
        if "prompts" not in data or extra:
            raise BackendError(
                f"model output must be an object with the single key 'prompts', got keys {sorted(map(str, data))}"
            )
        data = data["prompts"]
    if not isinstance(data, list):
        raise BackendError(f"model output 'prompts' must be a list, not {type(data).__name__}")
    if len(data) != m:
        raise BackendError(f"model returned {len(data)} prompt(s), {m} were asked for")
    prompts: list[Prompt] = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise BackendError(f"model output prompt {i + 1} is a {type(item).__name__}, not an object")
        if item.get("style") == "":
            item = {**item, "style": None}
        try:
            prompt = Prompt.from_dict(item)
        except PromptError as exc:
            raise BackendError(f"model output prompt {i + 1} is invalid: {exc}") from None
        prompts.append(prompt)
    return prompts


__all__ = [
    "SCHEMA_NAME",
    "MAX_M",
    "prompt_json_schema",
    "describe_instructions",
    "refine_instructions",
    "compress_instructions",
    "parse_prompts",
]
