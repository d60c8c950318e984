"""world-seer: the synthetic world's image -> scene-graph describer, with its shipped weights."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

from semcodec.backends import load_describer  # noqa: E402
from semcodec.backends.base import DescribeRequest, Describer  # noqa: E402
from semcodec.registry import describer_by_name  # noqa: E402
from semcodec.world.dataset import sample_scenes  # noqa: E402
from semcodec.world.grammar import parse_text  # noqa: E402
from semcodec.world.oracle import score_scene  # noqa: E402
from semcodec.world.render import render_scene  # noqa: E402
from semcodec.world.seer import MODEL_DIR, WEIGHTS_FILE, Seer  # noqa: E402

TEST_SEED = 4242


@pytest.fixture(scope="module")
def seer() -> Seer:
    return load_describer("world-seer", device="cpu")


@pytest.fixture(scope="module")
def samples():
    return sample_scenes(40, seed=TEST_SEED)


def _nbytes(p) -> int:
    return len(p.text().encode("utf-8"))


def test_the_registry_loads_it_and_pins_the_shipped_weights(seer):
    assert isinstance(seer, Seer) and isinstance(seer, Describer)
    spec = describer_by_name("world-seer")
    assert spec.family == "world-seer" and spec.kind == "local"
    assert spec.revision == hashlib.sha1((MODEL_DIR / WEIGHTS_FILE).read_bytes()).hexdigest()
    for f in spec.files:
        assert (MODEL_DIR / f).is_file()
    assert (MODEL_DIR / WEIGHTS_FILE).stat().st_size < 5_000_000


def test_the_argmax_scene_graph_is_mostly_right(seer, samples):
    preds = seer.model.predict([render_scene(s.scene, s.seed) for s in samples])
    f1 = np.mean([score_scene(s.scene, p).f1 for s, p in zip(samples, preds)])
    assert f1 >= 0.85, f1


def test_describe_gives_m_distinct_prompts_within_the_budget(seer, samples):
    img = render_scene(samples[0].scene, samples[0].seed)
    req = DescribeRequest(image=img, m=4, max_text_bytes=120)
    out = seer.describe(req)
    assert len(out) == 4 and len({p.text() for p in out}) == 4
    assert all(_nbytes(p) <= 120 for p in out)
    assert seer.calls[-1].kind == "describe" and seer.calls[-1].model == "world-seer"
    assert [p.text() for p in seer.describe(req)] == [p.text() for p in out]  # deterministic


def test_a_tiny_budget_drops_groups_but_keeps_scene_and_lighting(seer, samples):
    s = next(x for x in samples if len(x.scene.objects) >= 2)
    img = render_scene(s.scene, s.seed)
    full = seer.describe(DescribeRequest(image=img, m=1, max_text_bytes=1024))[0]
    budget = len(f"{full.scene}, {full.lighting}".encode()) + 4
    small = seer.describe(DescribeRequest(image=img, m=1, max_text_bytes=budget))[0]
    assert _nbytes(small) <= budget and len(small.objects) < len(full.objects)
    assert small.scene == full.scene and small.lighting == full.lighting
    squeezed = seer.compress(DescribeRequest(image=img, m=1, max_text_bytes=budget), full)
    assert _nbytes(squeezed) <= budget and squeezed.scene == full.scene


def test_refine_proposes_new_distinct_alternatives_deterministically(seer, samples):
    s = samples[1]
    req = DescribeRequest(image=render_scene(s.scene, s.seed), m=3, max_text_bytes=200)
    runs = []
    for _ in range(2):
        fresh = Seer(seer.model)
        best = fresh.describe(req)[0]
        alts = fresh.refine(req, best)
        assert 1 <= len(alts) <= 3 and len({p.text() for p in alts}) == len(alts)
        assert best.text() not in {p.text() for p in alts}
        assert fresh.calls[-1].kind == "refine"
        again = fresh.refine(req, best)  # never repeats what it proposed for this image
        assert not {p.text() for p in again} & {p.text() for p in alts}
        runs.append([p.text() for p in alts])
    assert runs[0] == runs[1]
    for p in [*alts, *again]:
        parse_text(p.text())  # world prompts the world decoder reads


def test_hypotheses_are_distinct_and_ordered(seer, samples):
    s = samples[2]
    b = seer.model.beliefs([render_scene(s.scene, s.seed)])[0]
    hyps = b.hypotheses(5)
    assert len(hyps) == 5 and len({h.text() for _, h in hyps}) == 5
    assert [lp for lp, _ in hyps] == sorted((lp for lp, _ in hyps), reverse=True)
    assert hyps[0][1] == b.best() or hyps[0][0] >= b.logp(b.best()) - 1e-9
