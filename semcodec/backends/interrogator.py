"""An LLM-free describer/refiner: a CLIP interrogator over vocabulary files.

``describe`` builds structured prompts by beam search over vocabulary
phrases: it ranks scene and lighting phrases and every object phrase by
CLIP(text, image) alone, then grows "scene, lighting" prompts by adding the
object phrase that most raises the critic's score of the *whole* text, while
the text fits ``DescribeRequest.max_text_bytes``; it stops when no addition
helps.  ``refine`` proposes the M best-scoring *local edits* of the best
prompt so far (drop, add or swap one object phrase; swap the scene or the
lighting) that have not been proposed before for this image.  ``compress``
drops the least useful parts until the text fits.

It works with any :class:`~semcodec.backends.base.Critic` (the real ViT-B/32,
or the synthetic world's tiny CLIP).  Vocabularies are JSON data files, named
by the caller (``semcodec.registry.VOCABULARIES``: ``photo``, ``world``; a
critic's registry entry names its default) or given as a path:

- the world grammar (``semcodec/world/data/vocab.json``: scenes, lighting,
  counts, sizes, colours, shapes; object phrases are composed from these),
- the photo vocabulary (``data/photo-vocab-v1.json``, written for this
  project: scene types, common objects singular -> plural, counts, colours,
  lighting and style phrases; provenance in ``data/PHOTO-VOCAB-NOTICE.md``):
  plain nouns are ranked first, then count and colour variants of the best
  few ("two dogs", "red car") join the object pool, or
- plain lists: ``{"scene": [...], "objects": [...], "lighting": [...]}``
  (optionally ``"style": [...]``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import InputError, PromptError
from ..prompt import Prompt
from .base import Critic, DescribeRequest, ModelCall

from ..registry import DEFAULT_WORLD_CRITIC as DEFAULT_CRITIC
from ..registry import vocabulary_file as vocabulary_path
from ..registry import vocabulary_for as default_vocabulary_for


@dataclass(frozen=True)
class Vocabulary:
    scenes: tuple[str, ...]
    objects: tuple[str, ...]
    lighting: tuple[str, ...]
    styles: tuple[str, ...] = ()
    plurals: tuple[tuple[str, str], ...] = ()  # (noun, plural) of the plain nouns that take counts and colours
    counts: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    name: str = ""

    @classmethod
    def load(cls, path: str | Path) -> "Vocabulary":
        """A vocabulary by name (``photo``, ``world``) or from a JSON file."""
        path = vocabulary_path(path)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read vocabulary {path}: {exc}") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: a vocabulary is a JSON object")
        if isinstance(data.get("objects"), dict):  # the photo format: nouns -> plurals, composed with counts/colours
            try:
                nouns = {str(k): str(v) for k, v in data["objects"].items()}
                return cls(tuple(data["scene"]), tuple(nouns), tuple(data.get("lighting", ())),
                           tuple(data.get("style", ())), tuple(nouns.items()), tuple(data.get("counts", {})),
                           tuple(data.get("colours", ())), str(data.get("name", Path(path).stem)))
            except (KeyError, TypeError, AttributeError):
                raise InputError(f"{path}: a vocabulary needs lists 'scene', 'lighting' and an 'objects' table") from None
        if "shapes" in data:  # the world grammar: compose object phrases
            counts, sizes = data["counts"], data["sizes"]
            objects = []
            for cword, n in counts.items():
                for size in sizes:
                    for colour in data["colours"]:
                        for shape, plural in data["shapes"].items():
                            objects.append(f"{cword} {size} {colour} {shape if n == 1 else plural}")
            return cls(tuple(data["scenes"].values()), tuple(objects), tuple(data["lighting"].values()), name="world")
        try:
            return cls(tuple(data["scene"]), tuple(data["objects"]), tuple(data.get("lighting", ())),
                       tuple(data.get("style", ())), name=Path(path).stem)
        except (KeyError, TypeError):
            raise InputError(f"{path}: a vocabulary needs lists 'scene', 'objects' (and 'lighting')") from None


def _fits(prompt: Prompt, max_bytes: int) -> bool:
    return len(prompt.text().encode("utf-8")) <= max_bytes


def _make(scene: str, objects: Sequence[str], lighting: str, style: str | None = None) -> Prompt | None:
    try:
        return Prompt(scene=scene, objects=tuple(objects), lighting=lighting, style=style or None)
    except PromptError:
        return None


class Interrogator:
    """A :class:`~semcodec.backends.base.Describer` that needs only a CLIP critic."""

    name = "interrogator"

    def __init__(self, critic: Critic, vocabulary: Vocabulary, *, max_objects: int = 4,
                 pool: int = 24, beam: int = 3, top_scenes: int = 3, top_lighting: int = 2) -> None:
        self.critic = critic
        self.vocab = vocabulary
        self.max_objects = max_objects
        self.pool = pool
        self.beam = beam
        self.top_scenes = top_scenes
        self.top_lighting = top_lighting
        self.top_styles = 2
        self.compose_top = 6  # plain nouns whose count and colour variants join the pool
        self._pool: tuple[int, list[str]] | None = None  # (id(image), object pool)
        self._noun_of: dict[str, str] = {}  # composed phrase -> its noun ("two dogs" -> "dog")
        self.calls: list[ModelCall] = []
        self._phrase_emb: dict[str, np.ndarray] = {}
        self._image: tuple[Any, np.ndarray] | None = None  # (image object, its embedding)
        self._proposed: dict[int, set[str]] = {}  # id(image) -> texts already proposed

    # -- scoring -------------------------------------------------------------
    def _img(self, image) -> np.ndarray:
        if self._image is None or self._image[0] is not image:
            self._image = (image, self.critic.embed_images([image])[0])
            self._proposed = {id(image): set()}
        return self._image[1]

    def _phrase_scores(self, phrases: Sequence[str], img: np.ndarray) -> np.ndarray:
        missing = [p for p in dict.fromkeys(phrases) if p not in self._phrase_emb]
        if missing:
            for p, e in zip(missing, self.critic.embed_texts(missing)):
                self._phrase_emb[p] = e
        if not phrases:
            return np.zeros(0, dtype=np.float32)
        return np.stack([self._phrase_emb[p] for p in phrases]) @ img

    def _score(self, prompts: Sequence[Prompt], img: np.ndarray) -> np.ndarray:
        if not prompts:
            return np.zeros(0)
        return np.asarray(self.critic.score_texts([p.text() for p in prompts], img), dtype=np.float64)

    def _ranked(self, phrases: Sequence[str], img: np.ndarray, k: int) -> list[str]:
        if not phrases:
            return []
        s = self._phrase_scores(phrases, img)
        return [phrases[i] for i in np.argsort(-s, kind="stable")[:k]]

    def _object_pool(self, image, img: np.ndarray) -> list[str]:
        """The ``pool`` best object phrases for this image: plain phrases, then (photo
        vocabularies) count and colour variants of the ``compose_top`` best nouns."""
        if self._pool is not None and self._pool[0] == id(image):
            return self._pool[1]
        pool = self._ranked(self.vocab.objects, img, self.pool)
        if self.vocab.plurals:
            plural = dict(self.vocab.plurals)
            variants = []
            for noun in [p for p in pool if p in plural][: self.compose_top]:
                mine = [f"{colour} {noun}" for colour in self.vocab.colours]
                mine += [f"{count} {plural[noun]}" for count in self.vocab.counts]
                self._noun_of.update({v: noun for v in mine})
                variants += mine
            pool = self._ranked(list(dict.fromkeys(pool + variants)), img, self.pool)
        self._pool = (id(image), pool)
        return pool

    def _repeats(self, phrase: str, objects: Sequence[str]) -> bool:
        """Whether ``phrase`` names a noun already among ``objects`` ("dog" and "two dogs")."""
        noun = self._noun_of.get(phrase, phrase)
        return any(self._noun_of.get(o, o) == noun for o in objects)

    def _record(self, kind: str, start: float, texts: int) -> None:
        self.calls.append(ModelCall(kind=kind, model=f"interrogator/{getattr(self.critic, 'name', 'critic')}",
                                    seconds=time.perf_counter() - start,
                                    extra={"texts_scored": texts, "vocabulary": self.vocab.name}))

    # -- Describer -------------------------------------------------------------
    def describe(self, request: DescribeRequest) -> list[Prompt]:
        start = time.perf_counter()
        img = self._img(request.image)
        scenes = self._ranked(self.vocab.scenes, img, self.top_scenes)
        lights = self._ranked(self.vocab.lighting, img, self.top_lighting) or [""]
        styles = [None, *self._ranked(self.vocab.styles, img, self.top_styles)]
        pool = self._object_pool(request.image, img)
        budget = request.max_text_bytes
        scored = 0
        states = []
        for sc in scenes:
            for li in lights:
                for st in styles:
                    for cand in (_make(sc, (), li, st), _make(sc, (), "", st)):
                        if cand is not None and _fits(cand, budget) and cand not in states:
                            states.append(cand)
        if not states:  # not even a scene fits: the shortest scene phrase alone, cut later by the encoder
            states = [Prompt(scene=min(scenes, key=len))]
        s = self._score(states, img)
        scored += len(states)
        beam = [(float(v), p) for v, p in sorted(zip(s, states), key=lambda t: -t[0])][: max(self.beam, request.m)]
        width = max(self.beam, request.m)
        for _ in range(self.max_objects):
            expansions = []
            for _, p in beam:
                for phrase in pool:
                    if self._repeats(phrase, p.objects):
                        continue
                    q = _make(p.scene, (*p.objects, phrase), p.lighting, p.style)
                    if q is not None and _fits(q, budget) and q not in expansions:
                        expansions.append(q)
            if not expansions:
                break
            es = self._score(expansions, img)
            scored += len(expansions)
            merged = {p.text(): (v, p) for v, p in beam}
            for v, q in zip(es, expansions):
                merged.setdefault(q.text(), (float(v), q))
            new = sorted(merged.values(), key=lambda t: -t[0])[:width]
            if [p.text() for _, p in new] == [p.text() for _, p in beam]:
                break
            beam = new
        out = [p for _, p in beam[: request.m]]
        self._proposed.setdefault(id(request.image), set()).update(p.text() for p in out)
        self._record("describe", start, scored)
        return out

    def edits(self, best: Prompt, img: np.ndarray, image=None) -> list[Prompt]:
        """Every local edit of ``best``: drop / add / swap one object, swap the scene, the lighting or the style."""
        pool = self._object_pool(image, img) if image is not None else self._ranked(self.vocab.objects, img, self.pool)
        st = best.style
        out: list[Prompt | None] = []
        objs = list(best.objects)
        for i in range(len(objs)):
            out.append(_make(best.scene, objs[:i] + objs[i + 1:], best.lighting, st))
            others = objs[:i] + objs[i + 1:]
            for phrase in pool:
                if not self._repeats(phrase, others):
                    out.append(_make(best.scene, objs[:i] + [phrase] + objs[i + 1:], best.lighting, st))
        if len(objs) < self.max_objects:
            out += [_make(best.scene, objs + [ph], best.lighting, st) for ph in pool if not self._repeats(ph, objs)]
        out += [_make(sc, objs, best.lighting, st) for sc in self._ranked(self.vocab.scenes, img, self.top_scenes + 1)
                if sc != best.scene]
        out += [_make(best.scene, objs, li, st) for li in (*self.vocab.lighting, "") if li != best.lighting]
        if self.vocab.styles:
            out += [_make(best.scene, objs, best.lighting, s) for s in
                    (*self._ranked(self.vocab.styles, img, self.top_styles + 2), None) if s != st]
        seen, uniq = set(), []
        for p in out:
            if p is not None and p.text() not in seen and p != best:
                seen.add(p.text())
                uniq.append(p)
        return uniq

    def refine(self, request: DescribeRequest, best: Prompt, feedback=None) -> list[Prompt]:
        start = time.perf_counter()
        img = self._img(request.image)
        done = self._proposed.setdefault(id(request.image), set())
        done.add(best.text())
        cands = [p for p in self.edits(best, img, request.image)
                 if _fits(p, request.max_text_bytes) and p.text() not in done]
        if not cands:
            self._record("refine", start, 0)
            return [best]
        s = self._score(cands, img)
        order = np.argsort(-s, kind="stable")[: request.m]
        out = [cands[i] for i in order]
        done.update(p.text() for p in out)
        self._record("refine", start, len(cands))
        return out

    def compress(self, request: DescribeRequest, prompt: Prompt) -> Prompt:
        """Drop the part whose removal costs least score until the text fits."""
        start = time.perf_counter()
        img = self._img(request.image)
        p, scored = prompt, 0
        while not _fits(p, request.max_text_bytes):
            cands = [q for q in (_make(p.scene, p.objects[:i] + p.objects[i + 1:], p.lighting, p.style)
                                 for i in range(len(p.objects))) if q is not None]
            if p.lighting:
                cands.append(_make(p.scene, p.objects, "", p.style))
            if p.style:
                cands.append(_make(p.scene, p.objects, p.lighting))
            cands = [q for q in cands if q is not None]
            if not cands:
                break
            s = self._score(cands, img)
            scored += len(cands)
            p = cands[int(np.argmax(s))]
        self._record("compress", start, scored)
        return p


def load_describer(critic: Critic | str | None = None, *, vocabulary: str | Path | None = None,
                   device: str | None = None, model_dir=None) -> Interrogator:
    """An Interrogator over ``critic`` (a Critic, or a critic registry name; default DEFAULT_WORLD_CRITIC, world-graph).

    ``vocabulary`` is a name in ``semcodec.registry.VOCABULARIES`` or a file;
    by default the one the critic's registry entry names (``world`` for the
    world-* critics, ``photo`` for the others).
    """
    if critic is None or isinstance(critic, str):
        from . import load_critic

        critic = load_critic(critic or DEFAULT_CRITIC, device=device, model_dir=model_dir)
    name = vocabulary if vocabulary is not None else default_vocabulary_for(getattr(critic, "name", None))
    return Interrogator(critic, Vocabulary.load(name))
