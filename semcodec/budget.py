"""Making a prompt fit the byte budget and the decoder's token limit.

The budget is on the whole coded ``.sem`` file (header, payload, CRC) in the
container form the encoder writes (v1, v2 or the v2 packet): the bytes are
counted by encoding the candidate in that form.  A
prompt that does not fit is shortened by a fixed ladder of cuts, each at a
phrase or word boundary (never mid-word), until it fits:

1. drop the style;
2. drop the last phrase (after ", ", " with ", " and ", " in ", " on ") of
   the longest field that has more than one phrase;
3. drop the last object while more than one remains (the describer is asked
   to list objects most important first);
4. drop the lighting;
5. drop the last word of the longest field that has more than one word;
6. drop the last object.

If nothing is left to cut, :class:`BudgetError` is raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .container import DEFAULT_FORM, SemFile, encode_form
from .errors import BudgetError, PromptError
from .prompt import Prompt
from .registry import DecoderSpec, PromptCodecSpec

_PHRASE = re.compile(r"(?:, | with | and | in | on | under | near | beside )")


@dataclass(frozen=True)
class Budget:
    """What a coded file must respect."""

    decoder: DecoderSpec
    prompt_codec: PromptCodecSpec
    width: int
    height: int
    seed: int | None  # the largest seed the file may carry (its varint size counts)
    max_file_bytes: int | None = None
    max_text_bytes: int | None = None
    count_tokens: Callable[[str], int | None] | None = None
    container: str = DEFAULT_FORM  # "v1", "v2" or "packet": the form whose bytes count

    def file_bytes(self, prompt: Prompt) -> int:
        sem = SemFile(
            prompt=prompt,
            decoder=self.decoder,
            prompt_codec=self.prompt_codec,
            seed=self.seed,
            width=self.width,
            height=self.height,
        )
        return len(encode_form(sem, self.container))

    def problem(self, prompt: Prompt) -> str | None:
        """None if the prompt fits, else why not (one phrase)."""
        text = prompt.text()
        if self.max_text_bytes is not None and len(text.encode("utf-8")) > self.max_text_bytes:
            return f"text is {len(text.encode('utf-8'))} bytes > {self.max_text_bytes}"
        if self.decoder.token_limit is not None and self.count_tokens is not None:
            n = self.count_tokens(text)
            if n is not None and n > self.decoder.token_limit:
                return f"{n} tokens > {self.decoder.name}'s limit of {self.decoder.token_limit}"
        if self.max_file_bytes is not None:
            size = self.file_bytes(prompt)
            if size > self.max_file_bytes:
                return f"file is {size} bytes > budget {self.max_file_bytes}"
        return None

    def fits(self, prompt: Prompt) -> bool:
        return self.problem(prompt) is None


def _drop_last_phrase(text: str) -> str | None:
    cuts = [m.start() for m in _PHRASE.finditer(text)]
    if not cuts:
        return None
    out = text[: cuts[-1]].rstrip(" ,")
    return out or None


def _drop_last_word(text: str) -> str | None:
    if " " not in text.strip():
        return None
    out = text.rstrip().rsplit(" ", 1)[0].rstrip(" ,")
    return out or None


def _fields(p: Prompt) -> list[tuple[str, int | None, str]]:
    """(field, object index, text) for every non-empty text field."""
    out = [("scene", None, p.scene)]
    out += [("objects", i, o) for i, o in enumerate(p.objects)]
    if p.lighting:
        out.append(("lighting", None, p.lighting))
    return out


def _set(p: Prompt, field: str, index: int | None, value: str) -> Prompt:
    if field == "objects":
        objs = list(p.objects)
        objs[index] = value
        return p.replace(objects=objs)
    return p.replace(**{field: value})


def _shorten_longest(p: Prompt, cut: Callable[[str], str | None]) -> Prompt | None:
    for field, index, text in sorted(_fields(p), key=lambda f: -len(f[2].encode("utf-8"))):
        new = cut(text)
        if new is not None and new != text:
            return _set(p, field, index, new)
    return None


def next_cut(p: Prompt) -> Prompt | None:
    """One step down the ladder, or None when nothing can be cut."""
    if p.style is not None:
        return p.replace(style=None)
    shorter = _shorten_longest(p, _drop_last_phrase)
    if shorter is not None:
        return shorter
    if len(p.objects) > 1:
        return p.with_objects(p.objects[:-1])
    if p.lighting:
        return p.replace(lighting="")
    shorter = _shorten_longest(p, _drop_last_word)
    if shorter is not None:
        return shorter
    if p.objects:
        return p.with_objects(())
    return None


def shorten(prompt: Prompt, budget: Budget) -> Prompt:
    """The first prompt down the ladder that fits; BudgetError if none does."""
    p = prompt
    while True:
        why = budget.problem(p)
        if why is None:
            return p
        try:
            nxt = next_cut(p)
        except PromptError:  # a cut produced an invalid prompt (cannot happen for valid input)
            nxt = None
        if nxt is None:
            raise BudgetError(f"cannot fit the prompt: even {p.text()!r} is too long ({why})")
        p = nxt
