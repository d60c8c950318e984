"""world-graph: the synthetic world's binding critic (scene-graph space), with its shipped weights."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("safetensors")

from semcodec.backends import load_critic  # noqa: E402
from semcodec.backends.base import Critic  # noqa: E402
from semcodec.registry import DEFAULT_WORLD_CRITIC, critic_by_name  # noqa: E402
from semcodec.world.dataset import sample_scenes  # noqa: E402
from semcodec.world.grammar import WorldScene, perturb, shuffled_text  # noqa: E402
from semcodec.world.graph_critic import GraphCritic, text_embedding  # noqa: E402
from semcodec.world.render import render_scene  # noqa: E402
from semcodec.world.study import binding_accuracy  # noqa: E402

TEST_SEED = 4242  # excluded from the critic's training, like every held-out stream


@pytest.fixture(scope="module")
def critic() -> GraphCritic:
    return load_critic("world-graph", device="cpu")


def test_the_registry_loads_it_and_pins_the_shipped_weights(critic):
    from semcodec.models import packaged_folder

    spec = critic_by_name("world-graph")
    assert isinstance(critic, GraphCritic) and isinstance(critic, Critic)
    assert spec.family == "world-graph" and spec.role == "critic" and DEFAULT_WORLD_CRITIC == "world-graph"
    folder = packaged_folder(spec)
    assert spec.revision == hashlib.sha1((folder / "model.safetensors").read_bytes()).hexdigest()
    # another network than the describer's: the critic must not merely echo world-seer
    seer = (folder.parent / "world-seer" / "model.safetensors").read_bytes()
    assert (folder / "model.safetensors").read_bytes() != seer


def test_text_embeddings_are_scene_graphs():
    s = sample_scenes(12, seed=TEST_SEED)
    rng = np.random.default_rng(0)
    for x in s:
        e = text_embedding(x.scene.text())
        assert abs(float(np.linalg.norm(e)) - 1.0) < 1e-6
        assert float(e @ text_embedding(shuffled_text(x.scene, rng))) == pytest.approx(1.0, abs=1e-6)  # order-free
        assert float(e @ text_embedding(perturb(x.scene, rng).text())) < 0.999  # one attribute changed: moves
    # the decoder's defaults: no lighting named is daylight
    a, b = WorldScene("beach", (), None), WorldScene("beach", (), "daylight")
    assert float(text_embedding(a.text()) @ text_embedding(b.text())) == pytest.approx(1.0, abs=1e-6)


def test_it_binds_attributes_on_held_out_scenes(critic):
    res = binding_accuracy(critic, sample_scenes(40, seed=TEST_SEED), seed=1, per_scene=4)
    assert res["accuracy"] >= 0.93, res  # world-clip: ~0.78 on the same kind of pairs


def test_images_compare_by_what_they_show(critic):
    s = sample_scenes(6, seed=TEST_SEED)
    same = critic.embed_images([render_scene(x.scene, 1) for x in s])
    again = critic.embed_images([render_scene(x.scene, 2) for x in s])  # other layouts of the same scenes
    assert np.allclose(np.linalg.norm(same, axis=1), 1.0, atol=1e-5)
    sims = same @ again.T
    assert np.all(np.diag(sims) > 0.8)
    assert float(np.mean(np.diag(sims))) > float(np.mean(sims[~np.eye(len(s), dtype=bool)])) + 0.3
    assert critic.clipsim(same, again).shape == (len(s),)
    assert critic.chunk_text("a sandy beach, " * 40) == ["a sandy beach, " * 40]  # no token limit, no truncation
