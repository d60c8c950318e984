"""The LLM-free CLIP interrogator, driven by an exact "oracle" critic.

The oracle embeds a text as the normalised sum of its world concepts (scene,
lighting, and one slot per object group's colour+shape, weighted by count and
size), and an image as the concept vector of the scene it was rendered from,
so the best-scoring description is known: the search must find it.
"""

from __future__ import annotations

import numpy as np
import pytest

from semcodec.backends import load_describer
from semcodec.backends.base import Critic, DescribeRequest, Describer
from semcodec.backends.interrogator import Interrogator, Vocabulary
from semcodec.errors import InputError
from semcodec.prompt import Prompt
from semcodec.world.grammar import WorldScene, parse_text, random_scene, vocab
from semcodec.world.render import render_scene

WORLD = Vocabulary.load("world")

V = vocab()
SCENES, LIGHTS = list(V.scenes), list(V.lighting)
PAIRS = [(c, s) for c in V.colours for s in V.shapes]
DIM = len(SCENES) + len(LIGHTS) + len(PAIRS) * 3


def concepts(scene: WorldScene) -> np.ndarray:
    v = np.zeros(DIM, np.float32)
    if scene.scene:
        v[SCENES.index(scene.scene)] = 1.0
    if scene.lighting:
        v[len(SCENES) + LIGHTS.index(scene.lighting)] = 0.7
    for g in scene.objects:
        if g.colour:
            base = len(SCENES) + len(LIGHTS) + PAIRS.index((g.colour, g.shape)) * 3
            v[base] += 1.0
            v[base + 1] += 0.5 * g.count
            v[base + 2] += {"small": -0.4, "large": 0.4, None: 0.0}[g.size]
    return v


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(n == 0, 1, n)


class OracleCritic:
    name = "oracle"
    context_length = 77

    def __init__(self) -> None:
        self.truth: dict[bytes, WorldScene] = {}

    def show(self, scene: WorldScene, seed: int = 0):
        img = render_scene(scene, seed)
        self.truth[img.tobytes()] = scene
        return img

    def embed_images(self, images):
        return _unit(np.stack([concepts(self.truth[i.tobytes()]) for i in images]))

    def embed_texts(self, texts):
        return _unit(np.stack([concepts(parse_text(t)) for t in texts]))

    def chunk_text(self, text):
        return [text]

    def score_texts(self, texts, image_embedding):
        return self.embed_texts(texts) @ image_embedding

    def clipsim(self, a, b):
        return np.asarray(a) @ np.asarray(b) if np.ndim(b) == 1 else np.sum(a * b, -1)


@pytest.fixture()
def oracle():
    return OracleCritic()


def test_it_is_a_describer_and_loads_by_name(oracle):
    assert isinstance(oracle, Critic)
    d = load_describer("interrogator", critic=oracle)
    assert isinstance(d, Interrogator) and isinstance(d, Describer) and d.critic is oracle


def test_describe_recovers_the_true_description(oracle):
    rng = np.random.default_rng(3)
    d = Interrogator(oracle, WORLD)
    for _ in range(8):
        truth = random_scene(rng)
        img = oracle.show(truth)
        out = d.describe(DescribeRequest(image=img, m=3, max_text_bytes=1024))
        assert 1 <= len(out) <= 3 and len({p.text() for p in out}) == len(out)
        got = parse_text(out[0].text())
        assert got.scene == truth.scene and got.lighting == truth.lighting
        assert sorted(map(repr, got.objects)) == sorted(map(repr, truth.objects)), (out[0].text(), truth.text())
    assert d.calls and d.calls[-1].kind == "describe" and d.calls[-1].extra["texts_scored"] > 0


def test_describe_respects_the_text_budget(oracle):
    truth = random_scene(np.random.default_rng(4), max_groups=3)
    truth = WorldScene(truth.scene, truth.objects + (truth.objects[0].__class__(2, "small", "white", "ring"),), truth.lighting)
    img = oracle.show(truth)
    d = Interrogator(oracle, WORLD)
    full = d.describe(DescribeRequest(image=img, m=2, max_text_bytes=1024))[0]
    for budget in (30, 45, 60):
        out = d.describe(DescribeRequest(image=img, m=2, max_text_bytes=budget))
        assert all(len(p.text().encode()) <= budget for p in out)
        assert len(out[0].text()) <= len(full.text())
    assert len(full.objects) == 4


def test_refine_proposes_new_local_edits_every_round(oracle):
    truth = random_scene(np.random.default_rng(5))
    img = oracle.show(truth)
    d = Interrogator(oracle, WORLD)
    req = DescribeRequest(image=img, m=3, max_text_bytes=120)
    best = d.describe(req)[0]
    seen = {best.text()}
    for _ in range(3):
        out = d.refine(req, best)
        assert len(out) == 3
        for p in out:
            assert p.text() not in seen and len(p.text().encode()) <= 120
            seen.add(p.text())
            a, b = best.parts(), p.parts()
            # one local edit: a part added, dropped or swapped
            assert len(set(a) ^ set(b)) in (1, 2) and abs(len(a) - len(b)) <= 1


def test_refine_moves_towards_the_truth_from_a_wrong_start(oracle):
    truth = WorldScene("forest", (random_scene(np.random.default_rng(6)).objects[0],), "night")
    img = oracle.show(truth)
    d = Interrogator(oracle, WORLD)
    req = DescribeRequest(image=img, m=1, max_text_bytes=200)
    best = Prompt(scene=V.scenes["desert"], objects=("three small white crosses",), lighting=V.lighting["fog"])
    emb = oracle.embed_images([img])[0]
    score = float(oracle.score_texts([best.text()], emb)[0])
    for _ in range(6):  # as the encoder does: keep the best so far
        cand = d.refine(req, best)[0]
        new = float(oracle.score_texts([cand.text()], emb)[0])
        if new > score:
            best, score = cand, new
    assert score > 0.99 and parse_text(best.text()) == truth


def test_compress_drops_the_least_useful_part(oracle):
    truth = random_scene(np.random.default_rng(7), max_groups=3)
    img = oracle.show(truth)
    d = Interrogator(oracle, WORLD)
    wrong = Prompt(scene=V.scenes[truth.scene], objects=(*truth.to_prompt().objects, "a large black ring"),
                   lighting=V.lighting[truth.lighting])
    limit = len(wrong.text().encode()) - 5
    out = d.compress(DescribeRequest(image=img, m=1, max_text_bytes=limit), wrong)
    assert len(out.text().encode()) <= limit
    assert "a large black ring" not in out.objects or "black" in truth.text()


def test_plain_vocabulary_files(tmp_path):
    f = tmp_path / "v.json"
    f.write_text('{"scene": ["a kitchen", "a garden"], "objects": ["a cat", "a dog"], "lighting": ["soft light"]}')
    v = Vocabulary.load(f)
    assert v.scenes == ("a kitchen", "a garden") and v.objects == ("a cat", "a dog")
    assert len(Vocabulary.load("world").objects) == 3 * 2 * 8 * 6
    bad = tmp_path / "bad.json"
    bad.write_text('{"words": []}')
    with pytest.raises(InputError):
        Vocabulary.load(bad)


# -- the photo vocabulary ------------------------------------------------------------------------------


class WordCritic:
    """Phrase + bag-of-stemmed-words embeddings; an image is embedded as the text in its ``info["truth"]``."""

    name = "ViT-B-32"
    context_length = 77

    @staticmethod
    def _vec(text: str) -> np.ndarray:
        """Whole phrases (comma-separated) and their stemmed words, hashed into a wide vector."""
        import hashlib

        def slot(key: str) -> int:
            return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little") % (1 << 16)

        v = np.zeros(1 << 16, np.float32)
        for phrase in (p.strip() for p in text.split(",")):
            v[slot("phrase:" + phrase)] += 1.0
            for word in phrase.split():
                v[slot(word.rstrip("s") or word)] += 0.5
        return v

    def embed_texts(self, texts):
        return _unit(np.stack([self._vec(t) for t in texts]))

    def embed_images(self, images):
        return self.embed_texts([im.info["truth"] for im in images])

    def chunk_text(self, text):
        return [text]

    def score_texts(self, texts, image_embedding):
        return self.embed_texts(texts) @ image_embedding

    def clipsim(self, a, b):
        return a @ b.T if b.ndim == 2 else a @ b


def test_photo_vocabulary_is_data_with_provenance():
    from semcodec.registry import vocabulary_file, vocabulary_for as default_vocabulary_for

    v = Vocabulary.load("photo")
    assert v.name == "photo-vocab-v1" and len(v.scenes) >= 50 and len(v.objects) >= 100
    assert v.lighting and v.styles and v.counts and v.colours and dict(v.plurals)["dog"] == "dogs"
    notice = vocabulary_file("photo").with_name("PHOTO-VOCAB-NOTICE.md").read_text()
    assert "Written for this project" in notice
    for phrase in (*v.scenes, *v.objects, *v.lighting, *v.styles):
        Prompt(phrase)  # every phrase is a valid field
    assert default_vocabulary_for("world-clip") == "world" and default_vocabulary_for("ViT-B-32") == "photo"
    assert load_describer("interrogator", critic=WordCritic()).vocab.name == "photo-vocab-v1"
    assert load_describer("interrogator", critic=WordCritic(), vocabulary="world").vocab.name == "world"


def test_photo_vocabulary_finds_counts_colours_lighting_and_style():
    from PIL import Image

    img = Image.new("RGB", (32, 32))
    img.info["truth"] = "a sandy beach, two dogs, red umbrella, golden hour light, vintage film photograph"
    d = load_describer("interrogator", critic=WordCritic())
    best = d.describe(DescribeRequest(image=img, m=3, max_text_bytes=200))[0]
    assert best.scene == "a sandy beach" and best.lighting == "golden hour light"
    assert best.style == "vintage film photograph"
    # a bag-of-words critic cannot bind (it scores "red dog, two umbrellas" the same), so check the words
    words = {w.rstrip("s") for o in best.objects for w in o.split()}
    assert words >= {"two", "dog", "red", "umbrella"}
    assert not {"dog", "umbrella"} & set(best.objects)  # a noun is named once
    assert d.calls[-1].extra["vocabulary"] == "photo-vocab-v1"
    # refinement edits the style too, and never proposes a prompt twice
    seen = {best.text()}
    for _ in range(3):
        for p in d.refine(DescribeRequest(image=img, m=3, max_text_bytes=200), best):
            assert p.text() not in seen
            seen.add(p.text())
