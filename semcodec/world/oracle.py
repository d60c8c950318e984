"""The world's oracle: how much of a true scene's meaning a text carries.

A CLIP score says how alike two pictures look to one network; in the
synthetic world the truth is known, so the meaning can be counted.  Both the
true scene and the text (read with :func:`semcodec.world.grammar.parse_text`,
which is exactly what the world-v1 decoder renders) become sets of *facts*:

- ``scene``: one fact, the scene key (``None``, a plain background, when the
  scene names none);
- ``lighting``: one fact, the lighting key (``None``: daylight);
- per object group, four facts: its ``shape``, ``colour`` (``None``: grey),
  ``count`` (1..3) and ``size`` (``None``: medium).

Object groups have no order, so the true and parsed groups are matched
one-to-one by an optimal assignment (most agreeing attributes, exhaustively:
at most :data:`~semcodec.world.grammar.MAX_GROUPS` groups per side).  A
matched pair contributes, for each of its four attributes, one *correct*
fact if the values agree.  Then

- true facts = 2 + 4 x (true groups), stated facts = 2 + 4 x (parsed groups);
- precision = correct / stated, recall = correct / true, F1 their harmonic
  mean (1.0 exactly when the text parses to the true scene);
- per fact type, the accuracy = correct / max(true, stated) facts of that
  type, so an extra group (a hallucinated object) or a missing one costs in
  every object fact type.

A scene and a lighting are always stated by the decoder (a missing one is
rendered as the default), so they count as stated facts in both sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

from .grammar import ObjectGroup, WorldScene, parse_text

FACT_TYPES = ("scene", "lighting", "shape", "colour", "count", "size")
OBJECT_FACTS = ("shape", "colour", "count", "size")


@dataclass(frozen=True)
class OracleScore:
    precision: float
    recall: float
    f1: float
    correct: int
    true_facts: int
    stated_facts: int
    per_type: dict[str, float]  # fact type -> accuracy in [0, 1]

    def to_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "correct": self.correct,
                "true_facts": self.true_facts, "stated_facts": self.stated_facts, "per_type": dict(self.per_type)}


def _agree(a: ObjectGroup, b: ObjectGroup) -> tuple[int, ...]:
    return tuple(int(getattr(a, f) == getattr(b, f)) for f in OBJECT_FACTS)


def match_groups(true: tuple[ObjectGroup, ...], got: tuple[ObjectGroup, ...]) -> list[tuple[int, int]]:
    """The one-to-one pairing (true index, parsed index) with the most agreeing attributes.

    Ties are broken towards agreeing shapes, then colours (the attributes
    that name an object), so the pairing a reader would make wins.
    """
    if not true or not got:
        return []
    small, large, swap = (true, got, False) if len(true) <= len(got) else (got, true, True)
    best_key, best = None, []
    for perm in permutations(range(len(large)), len(small)):
        total = [0, 0, 0]
        for i, j in enumerate(perm):
            a = _agree(small[i], large[j])
            total[0] += sum(a)
            total[1] += a[0]
            total[2] += a[1]
        key = tuple(total)
        if best_key is None or key > best_key:
            best_key, best = key, list(enumerate(perm))
    return [(j, i) for i, j in best] if swap else best


def score_scene(true: WorldScene, got: WorldScene) -> OracleScore:
    """Compare two world scenes fact by fact (see the module docstring)."""
    correct = {t: 0 for t in FACT_TYPES}
    correct["scene"] = int(true.scene == got.scene)
    correct["lighting"] = int(true.lighting == got.lighting)
    for i, j in match_groups(true.objects, got.objects):
        for f, ok in zip(OBJECT_FACTS, _agree(true.objects[i], got.objects[j])):
            correct[f] += ok
    n_true, n_got = len(true.objects), len(got.objects)
    true_facts = 2 + 4 * n_true
    stated = 2 + 4 * n_got
    c = sum(correct.values())
    p = c / stated
    r = c / true_facts
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    per_type = {"scene": float(correct["scene"]), "lighting": float(correct["lighting"])}
    denom = max(n_true, n_got)
    for f in OBJECT_FACTS:
        per_type[f] = correct[f] / denom if denom else 1.0
    return OracleScore(precision=p, recall=r, f1=f1, correct=c, true_facts=true_facts, stated_facts=stated,
                       per_type=per_type)


def score_text(true: WorldScene | str, text: str) -> OracleScore:
    """The oracle of ``text`` against the true scene (a WorldScene or its text)."""
    t = parse_text(true) if isinstance(true, str) else true
    return score_scene(t, parse_text(text))


def mean_scores(scores: list[OracleScore]) -> dict:
    """Means over images: precision, recall, F1 and each fact type's accuracy."""
    n = len(scores)
    if not n:
        return {}
    out = {k: sum(getattr(s, k) for s in scores) / n for k in ("precision", "recall", "f1")}
    out["per_type"] = {t: sum(s.per_type[t] for s in scores) / n for t in FACT_TYPES}
    out["n"] = n
    return out
