"""The world oracle: scene-graph facts of a text against the true scene."""

import numpy as np
import pytest

from semcodec.world.grammar import ObjectGroup, WorldScene, perturb, random_scene
from semcodec.world.oracle import FACT_TYPES, match_groups, mean_scores, score_scene, score_text


def _scene():
    return WorldScene("beach", (ObjectGroup(1, "small", "purple", "circle"), ObjectGroup(3, "large", "white", "circle")),
                      "cool")


def test_true_text_scores_one():
    rng = np.random.default_rng(5)
    for _ in range(30):
        s = random_scene(rng)
        o = score_text(s, s.text())
        assert o.f1 == 1.0 and o.precision == 1.0 and o.recall == 1.0
        assert all(v == 1.0 for v in o.per_type.values())


def test_group_order_does_not_matter():
    s = _scene()
    swapped = WorldScene(s.scene, s.objects[::-1], s.lighting)
    assert score_scene(s, swapped).f1 == 1.0


@pytest.mark.parametrize("seed", range(40))
def test_perturbed_text_loses_exactly_the_changed_fact_type(seed):
    rng = np.random.default_rng(seed)
    s = random_scene(rng)
    p = perturb(s, rng)
    o = score_text(s, p.text())
    assert o.f1 < 1.0
    worse = [t for t in FACT_TYPES if o.per_type[t] < 1.0]
    assert len(worse) == 1
    # a one-attribute change costs one fact of true_facts
    assert o.correct == o.true_facts - 1


def test_issue_example_counts_what_is_wrong():
    true = "a sandy beach, a small purple circle, three large white circles, cool blue light"
    coded = "a sandy beach, three large blue rings, cool blue light"
    o = score_text(true, coded)
    assert o.per_type["scene"] == 1.0 and o.per_type["lighting"] == 1.0
    # one group stated for two true ones: the best pairing is with "three large white circles" (count + size agree)
    assert o.correct == 2 + 2
    assert o.true_facts == 10 and o.stated_facts == 6
    assert o.recall == pytest.approx(0.4) and o.precision == pytest.approx(4 / 6)
    assert o.per_type["shape"] == 0.0 and o.per_type["count"] == 0.5


def test_hallucinated_group_costs_precision_not_recall():
    s = WorldScene("beach", (ObjectGroup(2, "small", "red", "square"),), "cool")
    extra = WorldScene("beach", s.objects + (ObjectGroup(1, "large", "blue", "cross"),), "cool")
    o = score_scene(s, extra)
    assert o.recall == 1.0 and o.precision == pytest.approx(6 / 10)
    assert o.per_type["shape"] == 0.5


def test_match_groups_is_one_to_one():
    a = (ObjectGroup(1, "small", "red", "circle"), ObjectGroup(2, "large", "blue", "square"))
    b = (ObjectGroup(2, "large", "blue", "square"),)
    assert match_groups(a, b) == [(1, 0)]
    assert match_groups(b, a) == [(0, 1)]
    assert match_groups(a, ()) == []


def test_unparseable_text_scores_low():
    o = score_text(_scene(), "a photo of something")
    assert o.recall == 0.0 and o.f1 == 0.0


def test_mean_scores():
    s = _scene()
    m = mean_scores([score_scene(s, s), score_text(s, "a photo")])
    assert m["n"] == 2 and m["f1"] == pytest.approx(0.5) and m["per_type"]["scene"] == 0.5
