"""The synthetic world's grammar: structured prompts made of world concepts.

A world scene is a scene type (drawn as a background), 1-3 object groups
(count x size x colour x shape) and a lighting.  It maps onto the codec's own
fields: ``Prompt(scene=<scene phrase>, objects=(<object phrase>, ...),
lighting=<lighting phrase>)``.  :func:`parse_text` reads any text back into
world concepts, ignoring words it does not know, so the synthetic decoder
never fails on a prompt.  The vocabulary is data: ``data/vocab.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..prompt import Prompt

DATA_DIR = Path(__file__).resolve().parent / "data"
VOCAB_PATH = DATA_DIR / "vocab.json"
MAX_GROUPS = 4  # object groups a scene may hold
_WORD = re.compile(r"[a-z]+")
_STOP = {"a", "an", "the", "with", "of", "and", "in", "on", "at", "light"}


@dataclass(frozen=True)
class Vocab:
    scenes: dict[str, str]  # key -> phrase
    lighting: dict[str, str]
    counts: dict[str, int]  # count word -> number ("a" -> 1)
    sizes: tuple[str, ...]
    colours: dict[str, tuple[int, int, int]]
    shapes: dict[str, str]  # singular -> plural
    size: int  # native render size in pixels

    @property
    def count_words(self) -> dict[int, str]:
        return {n: w for w, n in self.counts.items()}

    @property
    def plural_to_shape(self) -> dict[str, str]:
        return {p: s for s, p in self.shapes.items()}


@lru_cache(maxsize=None)
def vocab() -> Vocab:
    data = json.loads(VOCAB_PATH.read_text(encoding="utf-8"))
    return Vocab(
        scenes=dict(data["scenes"]),
        lighting=dict(data["lighting"]),
        counts=dict(data["counts"]),
        sizes=tuple(data["sizes"]),
        colours={k: tuple(v) for k, v in data["colours"].items()},
        shapes=dict(data["shapes"]),
        size=int(data["size"]),
    )


@dataclass(frozen=True)
class ObjectGroup:
    count: int  # 1..3
    size: str | None  # "small" | "large" | None (medium)
    colour: str | None  # None: grey
    shape: str

    def phrase(self) -> str:
        v = vocab()
        words = [v.count_words.get(self.count, str(self.count))]
        if self.size:
            words.append(self.size)
        if self.colour:
            words.append(self.colour)
        words.append(self.shape if self.count == 1 else v.shapes[self.shape])
        return " ".join(words)


@dataclass(frozen=True)
class WorldScene:
    scene: str | None  # scene key, None: plain grey background
    objects: tuple[ObjectGroup, ...] = field(default_factory=tuple)
    lighting: str | None = None  # lighting key, None: daylight

    def to_prompt(self) -> Prompt:
        v = vocab()
        scene = v.scenes[self.scene] if self.scene else "an empty picture"
        return Prompt(
            scene=scene,
            objects=tuple(o.phrase() for o in self.objects),
            lighting=v.lighting[self.lighting] if self.lighting else "",
        )

    def text(self) -> str:
        return self.to_prompt().text()


# ---------------------------------------------------------------------------
# Parsing any text back into world concepts (unknown words ignored)
# ---------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _keywords() -> tuple[dict[str, str], dict[str, str]]:
    """Words that identify one scene / one lighting (shared and attribute words left out)."""
    v = vocab()
    attr = set(v.counts) | set(v.sizes) | set(v.colours) | set(v.shapes) | set(v.shapes.values())
    phrases = [("s", k, p) for k, p in v.scenes.items()] + [("l", k, p) for k, p in v.lighting.items()]
    seen: dict[str, int] = {}
    for _, _, p in phrases:
        for w in set(_WORD.findall(p)):
            seen[w] = seen.get(w, 0) + 1
    scene_kw: dict[str, str] = {}
    light_kw: dict[str, str] = {}
    for kind, key, p in phrases:
        for w in _WORD.findall(p):
            if w in _STOP or w in attr or seen[w] > 1:
                continue
            (scene_kw if kind == "s" else light_kw)[w] = key
    return scene_kw, light_kw


def _shape_of(word: str) -> str | None:
    v = vocab()
    if word in v.shapes:
        return word
    return v.plural_to_shape.get(word)


def parse_part(part: str) -> tuple[str, Any] | None:
    """One comma-separated part -> ("object", ObjectGroup) | ("scene", key) | ("lighting", key) | None."""
    v = vocab()
    words = _WORD.findall(part.lower())
    shapes = [s for s in (_shape_of(w) for w in words) if s]
    if shapes:
        count = next((v.counts[w] for w in words if w in v.counts), None)
        if count is None:
            count = next((int(w) for w in re.findall(r"\b[1-9]\b", part)), None)
        if count is None:
            count = 1 if words and shapes[0] in words else 2
        size = next((w for w in words if w in v.sizes), None)
        colour = next((w for w in words if w in v.colours), None)
        return "object", ObjectGroup(count=max(1, min(3, count)), size=size, colour=colour, shape=shapes[0])
    scene_kw, light_kw = _keywords()
    for w in words:
        if w in scene_kw:
            return "scene", scene_kw[w]
    for w in words:
        if w in light_kw:
            return "lighting", light_kw[w]
    return None


def parse_text(text: str) -> WorldScene:
    """Read a prompt text (the canonical rendering or any text) into a WorldScene.

    Parts are split at commas; the first scene and the first lighting found
    win; at most :data:`MAX_GROUPS` object groups are kept; anything unknown
    is ignored.
    """
    scene = lighting = None
    objects: list[ObjectGroup] = []
    for part in re.split(r"[,;\n]", text):
        got = parse_part(part)
        if got is None:
            continue
        kind, value = got
        if kind == "object" and len(objects) < MAX_GROUPS:
            objects.append(value)
        elif kind == "scene" and scene is None:
            scene = value
        elif kind == "lighting" and lighting is None:
            lighting = value
    return WorldScene(scene=scene, objects=tuple(objects), lighting=lighting)


# ---------------------------------------------------------------------------
# Sampling and perturbing (data set and training)
# ---------------------------------------------------------------------------


def random_group(rng: np.random.Generator) -> ObjectGroup:
    v = vocab()
    return ObjectGroup(
        count=int(rng.integers(1, 4)),
        size=str(rng.choice(v.sizes)),
        colour=str(rng.choice(list(v.colours))),
        shape=str(rng.choice(list(v.shapes))),
    )


def random_scene(rng: np.random.Generator, *, max_groups: int = 3) -> WorldScene:
    """A full description: a scene, 1..max_groups distinct object groups, a lighting."""
    v = vocab()
    n = int(rng.integers(1, max_groups + 1))
    groups: list[ObjectGroup] = []
    while len(groups) < n:
        g = random_group(rng)
        if all((g.colour, g.shape) != (h.colour, h.shape) for h in groups):
            groups.append(g)
    return WorldScene(
        scene=str(rng.choice(list(v.scenes))),
        objects=tuple(groups),
        lighting=str(rng.choice(list(v.lighting))),
    )


def perturb(scene: WorldScene, rng: np.random.Generator) -> WorldScene:
    """The same scene with exactly one attribute changed (a hard negative)."""
    v = vocab()
    choice = int(rng.integers(0, 6)) if scene.objects else int(rng.integers(0, 2))

    def other(options, current):
        opts = [o for o in options if o != current]
        return str(rng.choice(opts))

    if choice == 0:
        return WorldScene(other(list(v.scenes), scene.scene), scene.objects, scene.lighting)
    if choice == 1:
        return WorldScene(scene.scene, scene.objects, other(list(v.lighting), scene.lighting))
    i = int(rng.integers(0, len(scene.objects)))
    g = scene.objects[i]
    if choice == 2:
        g = ObjectGroup(g.count, g.size, other(list(v.colours), g.colour), g.shape)
    elif choice == 3:
        g = ObjectGroup(g.count, g.size, g.colour, other(list(v.shapes), g.shape))
    elif choice == 4:
        g = ObjectGroup(int(other([1, 2, 3], g.count)), g.size, g.colour, g.shape)
    else:
        g = ObjectGroup(g.count, other(list(v.sizes), g.size), g.colour, g.shape)
    objs = list(scene.objects)
    objs[i] = g
    return WorldScene(scene.scene, tuple(objs), scene.lighting)


def partial_text(scene: WorldScene, rng: np.random.Generator) -> str:
    """A true but incomplete description: a random non-empty subset of its parts, shuffled objects."""
    parts = scene.to_prompt().parts()
    keep = [p for p in parts if rng.random() < 0.6]
    if not keep:
        keep = [parts[int(rng.integers(0, len(parts)))]]
    return ", ".join(keep)


def shuffled_text(scene: WorldScene, rng: np.random.Generator) -> str:
    """The full description with the object groups in a random order."""
    objs = list(scene.objects)
    rng.shuffle(objs)
    return WorldScene(scene.scene, tuple(objs), scene.lighting).text()
