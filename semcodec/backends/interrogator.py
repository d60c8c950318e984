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
or the synthetic world's tiny CLIP).  Vocabularies are JSON data files:

- the world grammar (``semcodec/world/data/vocab.json``: scenes, lighting,
  counts, sizes, colours, shapes; object phrases are composed from these), or
- plain lists: ``{"scene": [...], "objects": [...], "lighting": [...]}``.
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

DEFAULT_VOCAB = Path(__file__).resolve().parents[1] / "world" / "data" / "vocab.json"
DEFAULT_CRITIC = "world-clip"


@dataclass(frozen=True)
class Vocabulary:
    scenes: tuple[str, ...]
    objects: tuple[str, ...]
    lighting: tuple[str, ...]

    @classmethod
    def load(cls, path: str | Path = DEFAULT_VOCAB) -> "Vocabulary":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read vocabulary {path}: {exc}") from None
        if "shapes" in data:  # the world grammar: compose object phrases
            counts, sizes = data["counts"], data["sizes"]
            objects = []
            for cword, n in counts.items():
                for size in sizes:
                    for colour in data["colours"]:
                        for shape, plural in data["shapes"].items():
                            objects.append(f"{cword} {size} {colour} {shape if n == 1 else plural}")
            return cls(tuple(data["scenes"].values()), tuple(objects), tuple(data["lighting"].values()))
        try:
            return cls(tuple(data["scene"]), tuple(data["objects"]), tuple(data.get("lighting", ())))
        except (KeyError, TypeError):
            raise InputError(f"{path}: a vocabulary needs lists 'scene', 'objects' (and 'lighting')") from None


def _fits(prompt: Prompt, max_bytes: int) -> bool:
    return len(prompt.text().encode("utf-8")) <= max_bytes


def _make(scene: str, objects: Sequence[str], lighting: str) -> Prompt | None:
    try:
        return Prompt(scene=scene, objects=tuple(objects), lighting=lighting)
    except PromptError:
        return None


class Interrogator:
    """A :class:`~semcodec.backends.base.Describer` that needs only a CLIP critic."""

    name = "interrogator"

    def __init__(self, critic: Critic, vocabulary: Vocabulary | None = None, *, max_objects: int = 4,
                 pool: int = 24, beam: int = 3, top_scenes: int = 3, top_lighting: int = 2) -> None:
        self.critic = critic
        self.vocab = vocabulary or Vocabulary.load()
        self.max_objects = max_objects
        self.pool = pool
        self.beam = beam
        self.top_scenes = top_scenes
        self.top_lighting = top_lighting
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

    def _record(self, kind: str, start: float, texts: int) -> None:
        self.calls.append(ModelCall(kind=kind, model=f"interrogator/{getattr(self.critic, 'name', 'critic')}",
                                    seconds=time.perf_counter() - start, extra={"texts_scored": texts}))

    # -- Describer -------------------------------------------------------------
    def describe(self, request: DescribeRequest) -> list[Prompt]:
        start = time.perf_counter()
        img = self._img(request.image)
        scenes = self._ranked(self.vocab.scenes, img, self.top_scenes)
        lights = self._ranked(self.vocab.lighting, img, self.top_lighting) or [""]
        pool = self._ranked(self.vocab.objects, img, self.pool)
        budget = request.max_text_bytes
        scored = 0
        states = []
        for sc in scenes:
            for li in lights:
                for cand in (_make(sc, (), li), _make(sc, (), "")):
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
                    if phrase in p.objects:
                        continue
                    q = _make(p.scene, (*p.objects, phrase), p.lighting)
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

    def edits(self, best: Prompt, img: np.ndarray) -> list[Prompt]:
        """Every local edit of ``best``: drop / add / swap one object, swap the scene or the lighting."""
        pool = self._ranked(self.vocab.objects, img, self.pool)
        out: list[Prompt | None] = []
        objs = list(best.objects)
        for i in range(len(objs)):
            out.append(_make(best.scene, objs[:i] + objs[i + 1:], best.lighting))
            for phrase in pool:
                if phrase not in objs:
                    out.append(_make(best.scene, objs[:i] + [phrase] + objs[i + 1:], best.lighting))
        if len(objs) < self.max_objects:
            out += [_make(best.scene, objs + [ph], best.lighting) for ph in pool if ph not in objs]
        out += [_make(sc, objs, best.lighting) for sc in self._ranked(self.vocab.scenes, img, self.top_scenes + 1)
                if sc != best.scene]
        out += [_make(best.scene, objs, li) for li in (*self.vocab.lighting, "") if li != best.lighting]
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
        cands = [p for p in self.edits(best, img) if _fits(p, request.max_text_bytes) and p.text() not in done]
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
            cands = [q for q in (_make(p.scene, p.objects[:i] + p.objects[i + 1:], p.lighting)
                                 for i in range(len(p.objects))) if q is not None]
            if p.lighting:
                cands.append(_make(p.scene, p.objects, ""))
            if not cands:
                break
            s = self._score(cands, img)
            scored += len(cands)
            p = cands[int(np.argmax(s))]
        self._record("compress", start, scored)
        return p


def load_describer(critic: Critic | str | None = None, *, vocabulary: str | Path | None = None,
                   device: str | None = None, model_dir=None) -> Interrogator:
    """An Interrogator over ``critic`` (a Critic, or a critic registry name; default world-clip)."""
    if critic is None or isinstance(critic, str):
        from . import load_critic

        critic = load_critic(critic or DEFAULT_CRITIC, device=device, model_dir=model_dir)
    vocab = Vocabulary.load(vocabulary) if vocabulary is not None else None
    return Interrogator(critic, vocab)
