"""The open_clip critic on tiny random models: embeddings, chunking, loading, errors."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest
from PIL import Image

from semcodec.errors import MissingError, SemError
from semcodec.registry import CRITICS, DEFAULT_CRITIC, DEFAULT_JUDGE, critic_by_name

pytest.importorskip("open_clip")
from semcodec.backends.base import Critic  # noqa: E402
from semcodec.backends.clip import ClipCritic, load_critic  # noqa: E402
from semcodec.backends.device import pick_device  # noqa: E402

# ~200 CLIP tokens of ordinary words
LONG = (
    "a weathered wooden fishing boat with peeling blue paint rests on a pebbled beach at low tide, "
    "coils of frayed rope and a rusty anchor lie beside it, gulls circle above grey water, "
    "distant cliffs fade into a pale overcast sky, wet stones glisten in soft diffuse light, "
    "a red buoy and a tangle of green netting sit near the bow, "
) * 3


@pytest.fixture(scope="module")
def critic(tiny_model_dir) -> ClipCritic:
    return load_critic("ViT-B-32", device="cpu", model_dir=tiny_model_dir)


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    imgs = [Image.fromarray(rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)) for _ in range(3)]
    imgs.append(Image.new("RGBA", (20, 30), (10, 200, 30, 128)))
    imgs.append(Image.new("L", (64, 16), 77))
    return imgs


def test_is_a_critic_with_clip_context(critic):
    assert isinstance(critic, Critic)
    assert critic.name == "ViT-B-32" and critic.context_length == 77


def test_image_embeddings_are_unit_float32_rows(critic):
    emb = critic.embed_images(_images())
    assert emb.shape == (5, critic.embed_dim) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert critic.embed_images([]).shape == (0, critic.embed_dim)
    again = critic.embed_images(_images()[:1])
    np.testing.assert_allclose(again[0], emb[0], atol=1e-6)  # batch size does not change the result
    assert critic.clipsim(emb[0], emb[1]) < 0.9999


def test_clipsim_shapes(critic):
    emb = critic.embed_images(_images())
    rowwise = critic.clipsim(emb, emb)
    np.testing.assert_allclose(rowwise, 1.0, atol=1e-5)
    against = critic.clipsim(emb, emb[2])
    assert against.shape == (5,) and abs(against[2] - 1.0) < 1e-5
    np.testing.assert_allclose(against, emb @ emb[2], atol=1e-6)


def test_short_text_is_one_unchanged_chunk(critic):
    assert critic.chunk_text("a red fox, on snow") == ["a red fox, on snow"]
    assert critic.chunk_text("") == [""]


def test_long_text_chunks_fit_and_keep_every_word(critic):
    n = critic.count_tokens(LONG)
    assert 180 <= n <= 260
    chunks = critic.chunk_text(LONG)
    assert len(chunks) >= 3
    assert all(critic.count_tokens(c) <= 77 for c in chunks)
    assert " ".join(chunks).split() == LONG.split()
    # greedy: no chunk could take the next chunk's first word
    for a, b in zip(chunks, chunks[1:]):
        assert critic.count_tokens(a + " " + b.split()[0]) > 77


def test_over_long_word_is_split_not_cut(critic):
    word = "x".join(str(i) for i in range(80))  # digits are one token each: far over 77 tokens
    chunks = critic.chunk_text(word)
    assert len(chunks) >= 2 and "".join(chunks) == word
    assert all(critic.count_tokens(c) <= 77 for c in chunks)


def test_score_is_mean_of_chunk_cosines(critic):
    img = critic.embed_images(_images()[:1])[0]
    scores = critic.score_texts([LONG, "a boat", ""], img)
    assert scores.shape == (3,) and scores.dtype == np.float32 and np.all(np.isfinite(scores))
    chunks = critic.chunk_text(LONG)
    per_chunk = critic.score_texts(chunks, img)
    assert scores[0] == pytest.approx(float(per_chunk.mean()), abs=1e-5)
    assert float(critic.score_texts(["a boat"], img)[0]) == pytest.approx(float(scores[1]), abs=1e-6)


def test_text_embeddings_are_unit_rows(critic):
    emb = critic.embed_texts([LONG, "a boat"])
    assert emb.shape == (2, critic.embed_dim) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    chunk_emb = critic.embed_texts(critic.chunk_text(LONG))
    mean = chunk_emb.mean(axis=0)
    np.testing.assert_allclose(emb[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_judge_role_name_loads_the_judge(tiny_model_dir):
    judge = load_critic("judge", device="cpu", model_dir=tiny_model_dir)
    assert judge.name == DEFAULT_JUDGE == critic_by_name("judge").name
    assert critic_by_name("critic").name == DEFAULT_CRITIC


def test_registry_critics_are_pinned_and_independent():
    critic, judge = critic_by_name(DEFAULT_CRITIC), critic_by_name(DEFAULT_JUDGE)
    assert critic.role == "critic" and judge.role == "judge"
    assert critic.arch != judge.arch and critic.pretrained != judge.pretrained
    for spec in CRITICS:
        assert len(spec.revision) == 40 and int(spec.revision, 16) >= 0
        if spec.source.startswith("package:"):  # the synthetic world's tiny CLIPs ship inside the package
            continue
        assert spec.files and spec.source.count("/") == 1
    with pytest.raises(SemError):
        critic_by_name("ViT-Q-99")


def test_missing_weights_fail_fast_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(MissingError) as err:
        load_critic("ViT-B-32", device="cpu", model_dir=tmp_path)
    assert time.perf_counter() - start < 5
    msg = str(err.value)
    assert "semmodels download ViT-B-32" in msg and "\n" not in msg
    assert critic_by_name("ViT-B-32").revision[:12] in msg


def test_unreachable_hub_fails_fast(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: connection refused
    start = time.perf_counter()
    with pytest.raises(MissingError, match="cannot reach 127.0.0.1"):
        load_critic("ViT-B-32", device="cpu", model_dir=tmp_path)
    assert time.perf_counter() - start < 5


def test_incomplete_model_folder_is_refused(tmp_path):
    (tmp_path / "ViT-B-32").mkdir()
    (tmp_path / "ViT-B-32" / "open_clip_config.json").write_text("{}")
    with pytest.raises(MissingError, match="no complete copy"):
        load_critic("ViT-B-32", device="cpu", model_dir=tmp_path)


def test_loads_from_the_hf_cache_at_the_pinned_revision(tiny_model_dir, tmp_path, monkeypatch):
    spec = critic_by_name("ViT-B-32")
    cache = tmp_path / "hub"
    snap = cache / ("models--" + spec.source.replace("/", "--")) / "snapshots" / spec.revision
    shutil.copytree(tiny_model_dir / "ViT-B-32", snap)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    critic = load_critic("ViT-B-32", device="cpu", model_dir=None)
    ref = load_critic("ViT-B-32", device="cpu", model_dir=tiny_model_dir)
    img = _images()[:2]
    np.testing.assert_allclose(critic.embed_images(img), ref.embed_images(img), atol=1e-6)
    # another revision in the cache does not count
    shutil.move(str(snap), str(snap.parent / ("0" * 40)))
    with pytest.raises(MissingError):
        load_critic("ViT-B-32", device="cpu", model_dir=None)


def test_repo_without_open_clip_config_uses_builtin_arch(tiny_model_dir, tmp_path, monkeypatch):
    import dataclasses

    import open_clip

    import semcodec.backends.clip as clip_mod

    config = json.loads((tiny_model_dir / "ViT-B-32" / "open_clip_config.json").read_text())
    cfg_file = tmp_path / "cfg" / "semcodec-tiny-test.json"
    cfg_file.parent.mkdir()
    cfg_file.write_text(json.dumps(config["model_cfg"]))
    open_clip.add_model_config(cfg_file)
    spec = dataclasses.replace(critic_by_name("ViT-B-32"), arch="semcodec-tiny-test", pretrained="none")
    monkeypatch.setattr(clip_mod, "critic_by_name", lambda name: spec)
    (tmp_path / "m" / "ViT-B-32").mkdir(parents=True)
    shutil.copy(tiny_model_dir / "ViT-B-32" / "open_clip_model.safetensors", tmp_path / "m" / "ViT-B-32")
    critic = load_critic("ViT-B-32", device="cpu", model_dir=tmp_path / "m")
    ref = load_critic("ViT-B-32", device="cpu", model_dir=tiny_model_dir)
    img = _images()[:1]
    np.testing.assert_allclose(critic.embed_images(img), ref.embed_images(img), atol=1e-6)


def test_pick_device(monkeypatch):
    import torch

    assert pick_device("cpu") == "cpu" and pick_device("CPU") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(MissingError):
        pick_device("cuda")
    with pytest.raises(SemError, match="unknown device"):
        pick_device("tpu")
    with pytest.raises(SemError, match="unknown device"):
        pick_device("cpu:1")
    assert pick_device(None) in ("mps", "cpu")


def test_half_precision_path_matches_fp32(tiny_model_dir, critic):
    """The GPU path (fp16 weights, open_clip keeps some parameters fp32), exercised on the CPU."""
    import open_clip

    src = f"local-dir:{tiny_model_dir / 'ViT-B-32'}"
    model, _, preprocess = open_clip.create_model_and_transforms(src, precision="fp16", device="cpu")
    half = ClipCritic(critic.spec, model.eval(), preprocess, open_clip.get_tokenizer(src), device="cpu")
    imgs = _images()[:2]
    np.testing.assert_allclose(half.embed_images(imgs), critic.embed_images(imgs), atol=2e-3)
    np.testing.assert_allclose(half.embed_texts([LONG]), critic.embed_texts([LONG]), atol=2e-3)
