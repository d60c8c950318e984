"""The synthetic world: grammar, renderer, world-v1 decoder, data set, packaged tiny CLIPs."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from semcodec.backends import load_generator
from semcodec.backends.base import Generator
from semcodec.container import SemFile, decode
from semcodec.decoder import decode_image
from semcodec.registry import critic_by_name, decoder_by_name, prompt_codec_by_name
from semcodec.world.dataset import sample_scenes, write_dataset
from semcodec.world.grammar import ObjectGroup, WorldScene, parse_text, perturb, random_scene, vocab
from semcodec.world.render import render_scene, render_text

SPEC = decoder_by_name("world-v1")


def test_every_random_scene_round_trips_through_its_text():
    rng = np.random.default_rng(0)
    for _ in range(300):
        s = random_scene(rng)
        assert parse_text(s.text()) == s
        assert parse_text(s.to_prompt().text()).to_prompt() == s.to_prompt()


def test_unknown_words_are_ignored_not_fatal():
    s = parse_text("a sandy beach at dawn, a unicorn, two large red circles, zorblax!!, warm sunset light, 3 stars")
    assert s.scene == "beach" and s.lighting == "sunset"
    assert s.objects == (ObjectGroup(2, "large", "red", "circle"), ObjectGroup(3, None, None, "star"))
    empty = parse_text("completely unknown words")
    assert empty == WorldScene(scene=None, objects=(), lighting=None)
    assert render_text("", 0).size == (128, 128)  # still a picture


def test_perturb_changes_exactly_one_thing():
    rng = np.random.default_rng(1)
    for _ in range(100):
        s = random_scene(rng)
        p = perturb(s, rng)
        assert p != s and len(p.objects) == len(s.objects)
        diffs = (p.scene != s.scene) + (p.lighting != s.lighting) + sum(a != b for a, b in zip(p.objects, s.objects))
        assert diffs == 1


def test_renderer_is_deterministic_and_the_seed_varies_the_layout():
    s = random_scene(np.random.default_rng(2))
    a, b = render_scene(s, 5), render_scene(s, 5)
    assert a.tobytes() == b.tobytes() and a.size == (128, 128) and a.mode == "RGB"
    c = render_scene(s, 6)
    diff = np.abs(np.asarray(a, np.int16) - np.asarray(c, np.int16)).mean()
    assert diff > 2.0  # another layout, not noise-level changes
    # ... but the same description: mean colour stays close (same background and lighting)
    assert np.abs(np.asarray(a, float).mean((0, 1)) - np.asarray(c, float).mean((0, 1))).max() < 40


def test_scenes_and_lighting_are_visually_distinct():
    v = vocab()
    means = {k: np.asarray(render_scene(WorldScene(k), 0), float).reshape(-1, 3) for k in v.scenes}
    keys = list(means)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            # either the mean colour or the texture (pixel std) differs
            d = np.abs(means[a].mean(0) - means[b].mean(0)).max() + abs(means[a].std() - means[b].std())
            assert d > 8, (a, b)
    base = np.asarray(render_scene(WorldScene("meadow"), 0), float)
    for light in v.lighting:
        lit = np.asarray(render_scene(WorldScene("meadow", lighting=light), 0), float)
        if light != "daylight":
            assert np.abs(lit - base).mean() > 10, light


def test_editing_one_group_leaves_the_others_in_place():
    g1, g2 = ObjectGroup(1, "large", "red", "circle"), ObjectGroup(1, "small", "blue", "square")
    a = np.asarray(render_scene(WorldScene("snow", (g1,), "daylight"), 3))
    b = np.asarray(render_scene(WorldScene("snow", (g1, g2), "daylight"), 3))
    same = (a == b).all(-1).mean()
    assert 0.9 < same < 1.0


def test_world_v1_is_a_deterministic_generator_and_decodes_sem_files():
    assert SPEC.id == 8 and SPEC.family == "synthetic" and SPEC.deterministic and (SPEC.width, SPEC.height) == (128, 128)
    gen = load_generator(SPEC)
    assert isinstance(gen, Generator) and gen.count_tokens("anything") is None
    text = "a brick wall, two small yellow stars, at night"
    r = gen.render(text, [0, 1, 0])
    assert [x.seed for x in r] == [0, 1, 0]
    assert r[0].image.tobytes() == r[2].image.tobytes() != r[1].image.tobytes()
    sem = SemFile(prompt=parse_text(text).to_prompt(), decoder=SPEC, prompt_codec=prompt_codec_by_name("zstd-dict-v1"),
                  seed=1, width=128, height=128)
    back = decode(sem.to_bytes())
    assert back.decoder.name == "world-v1"
    res = decode_image(back, gen)
    assert res.exact and res.image.tobytes() == r[1].image.tobytes()


def test_dataset_files_reproduce_from_their_prompts(tmp_path):
    samples = write_dataset(tmp_path, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prompts.jsonl", "scene-000.png", "scene-001.png", "scene-002.png"]
    lines = [json.loads(x) for x in (tmp_path / "prompts.jsonl").read_text().splitlines()]
    assert [x["file"] for x in lines] == [s.name for s in samples]
    for x in lines:
        img = Image.open(tmp_path / x["file"]).convert("RGB")
        assert img.tobytes() == render_text(x["text"], x["seed"]).tobytes()
    assert [s.scene for s in sample_scenes(3)] == [s.scene for s in samples]  # deterministic


@pytest.mark.parametrize("name,role", [("world-clip", "critic"), ("world-judge", "judge")])
def test_packaged_tiny_clips_are_pinned_logged_and_small(name, role):
    from semcodec.models import locate_weights

    spec = critic_by_name(name)
    assert spec.role == role
    folder = locate_weights(spec, None, fetch=False)  # no model dir, offline: the packaged copy
    weights = folder / "open_clip_model.safetensors"
    assert spec.revision == hashlib.sha1(weights.read_bytes()).hexdigest()  # the pin is the weights' digest
    total = sum(f.stat().st_size for n in ("world-clip", "world-judge")
                for f in locate_weights(critic_by_name(n), None, fetch=False).iterdir())
    assert total <= 10 * 2**20
    log = (folder / "train-log.txt").read_text()
    assert "final held-out" in log and "seed" in log
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["held_out_scenes"] >= 200
    assert metrics["i2t_top1"] > 20 / metrics["held_out_scenes"]  # far above chance (1/n)
