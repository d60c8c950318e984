"""The ``world-v1`` decoder: the synthetic world's procedural renderer as a Generator.

Deterministic given (text, seed): the text is parsed back into world concepts
(:func:`semcodec.world.grammar.parse_text`; unknown words are ignored, never
fatal) and drawn by :func:`semcodec.world.render.render_scene`.  A
verification decoder for the offline demonstration, not for photographs.
"""

from __future__ import annotations

import time
from typing import Sequence

from ..backends.base import Rendered
from ..registry import DecoderSpec


class WorldGenerator:
    """A :class:`~semcodec.backends.base.Generator` over the synthetic world."""

    def __init__(self, spec: DecoderSpec) -> None:
        self.spec = spec

    def count_tokens(self, text: str) -> int | None:
        return None  # the parser reads the whole text

    def render(self, text: str, seeds: Sequence[int | None]) -> list[Rendered]:
        from .grammar import parse_text
        from .render import render_scene

        scene = parse_text(text)
        out = []
        for seed in seeds:
            start = time.perf_counter()
            img = render_scene(scene, 0 if seed is None else int(seed), size=self.spec.width)
            out.append(Rendered(image=img, seed=seed, seconds=time.perf_counter() - start))
        return out


def load_generator(spec: DecoderSpec, **_ignored) -> WorldGenerator:
    """The registry's loader for family "synthetic" (no weights, no device: pure Python and numpy)."""
    if spec.family != "synthetic":
        raise ValueError(f"{spec.name} is not a synthetic decoder")
    return WorldGenerator(spec)
