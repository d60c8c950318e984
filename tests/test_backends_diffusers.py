"""Seeded diffusers generators on tiny random pipelines: determinism, limits, loading."""

from __future__ import annotations

import time

import numpy as np
import pytest

from semcodec.backends.base import Generator, Rendered
from semcodec.errors import BudgetError, MissingError, SemError
from semcodec.registry import decoder_by_name

pytest.importorskip("diffusers")
import torch  # noqa: E402

from semcodec.backends.diffusers_gen import DiffusersGenerator, load_generator  # noqa: E402

TEXT = "a lighthouse on a rocky cliff, stormy sea, dusk"


@pytest.fixture(scope="module")
def sd(tiny_model_dir) -> DiffusersGenerator:
    return load_generator(decoder_by_name("sd-turbo"), device="cpu", model_dir=tiny_model_dir)


@pytest.fixture(scope="module")
def sdxl(tiny_model_dir) -> DiffusersGenerator:
    return load_generator(decoder_by_name("sdxl-turbo"), device="cpu", model_dir=tiny_model_dir)


def _px(r: Rendered) -> np.ndarray:
    return np.asarray(r.image)


def test_render_returns_native_size_rgb(sd):
    assert isinstance(sd, Generator)
    assert (sd.width, sd.height) == (64, 64)  # the tiny folder's semcodec.json overrides the registry's 512
    out = sd.render(TEXT, [3])
    assert len(out) == 1 and out[0].seed == 3 and out[0].seconds > 0
    assert out[0].image.mode == "RGB" and out[0].image.size == (64, 64)
    assert _px(out[0]).std() > 0  # not a blank image


def test_registry_settings_are_applied(sd, sdxl):
    assert type(sd.pipe.scheduler).__name__ == "EulerDiscreteScheduler"
    assert type(sdxl.pipe.scheduler).__name__ == "EulerAncestralDiscreteScheduler"
    for gen in (sd, sdxl):
        assert gen.pipe.scheduler.config.timestep_spacing == "trailing"
        assert gen.steps == 1 and gen.guidance_scale == 0.0 and gen.token_limit == 77
        assert gen.pipe.unet.dtype == torch.float32  # CPU


@pytest.mark.parametrize("which", ["sd", "sdxl"])
def test_seeds_are_deterministic_alone_or_in_a_batch(which, request):
    gen = request.getfixturevalue(which)
    alone = gen.render(TEXT, [7])[0]
    again = gen.render(TEXT, [7])[0]
    batch = gen.render(TEXT, [11, 7, 12])
    assert np.array_equal(_px(alone), _px(again))
    assert np.array_equal(_px(alone), _px(batch[1]))
    assert [r.seed for r in batch] == [11, 7, 12]
    assert not np.array_equal(_px(batch[0]), _px(batch[1]))
    assert not np.array_equal(_px(batch[0]), _px(batch[2]))
    other_text = gen.render("a green field", [7])[0]
    assert not np.array_equal(_px(alone), _px(other_text))


def test_a_fresh_load_renders_the_same_pixels(sd, tiny_model_dir):
    fresh = load_generator(decoder_by_name("sd-turbo"), device="cpu", model_dir=tiny_model_dir)
    assert np.array_equal(_px(fresh.render(TEXT, [42])[0]), _px(sd.render(TEXT, [42])[0]))


def test_seed_noise_is_the_documented_cpu_draw(sd):
    expected = torch.randn((1, 4, 8, 8), generator=torch.Generator("cpu").manual_seed(5), dtype=torch.float32)
    assert torch.equal(sd.initial_latents(5), expected)
    big = sd.initial_latents(2**64 - 1)
    assert big.shape == (1, 4, 8, 8)


def test_ancestral_equals_euler_at_one_step(sd):
    import diffusers

    euler = sd.render(TEXT, [9])[0]
    original = sd.pipe.scheduler
    try:
        sd.pipe.scheduler = diffusers.EulerAncestralDiscreteScheduler.from_config(original.config)
        ancestral = sd.render(TEXT, [9])[0]
    finally:
        sd.pipe.scheduler = original
    assert np.array_equal(_px(euler), _px(ancestral))


def test_count_tokens_matches_clip_with_bos_eos(sd, sdxl):
    from open_clip.tokenizer import SimpleTokenizer

    simple = SimpleTokenizer()
    for text in (TEXT, "", "Ünïcödé café — naïve 3.14", "word " * 100):
        expected = len(simple.encode(text)) + 2
        assert sd.count_tokens(text) == expected == sdxl.count_tokens(text)


def test_token_limit_is_refused_not_truncated(sd):
    fits = " ".join(["fox"] * 75)  # 75 + BOS + EOS = 77
    assert sd.count_tokens(fits) == 77
    assert sd.render(fits, [1])[0].image.size == (64, 64)
    over = fits + " fox"
    with pytest.raises(BudgetError, match="78 tokens.*limit is 77"):
        sd.render(over, [1])
    with pytest.raises(BudgetError):
        sd.render("a boat at sea " * 60, [1, 2])


def test_bad_seeds_are_refused(sd):
    for bad in (None, -1, 2**64, 1.5, True):
        with pytest.raises(SemError, match="integer seed"):
            sd.render(TEXT, [bad])


def test_missing_weights_fail_fast_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(MissingError) as err:
        load_generator(decoder_by_name("sdxl-turbo"), device="cpu", model_dir=tmp_path)
    assert time.perf_counter() - start < 5
    assert "semmodels download sdxl-turbo" in str(err.value)


def test_non_diffusers_spec_is_refused(tiny_model_dir):
    with pytest.raises(SemError, match="not a diffusers decoder"):
        load_generator(decoder_by_name("gpt-image-2"), device="cpu", model_dir=tiny_model_dir)


def test_half_precision_path_runs(tiny_model_dir, sd):
    """The GPU dtype (float16), exercised on the CPU through the registry's dtype setting."""
    import dataclasses

    spec = decoder_by_name("sd-turbo")
    spec16 = dataclasses.replace(spec, params={**spec.params, "dtype_cpu": "float16"})
    half = load_generator(spec16, device="cpu", model_dir=tiny_model_dir)
    assert half.pipe.unet.dtype == torch.float16
    a = _px(half.render(TEXT, [4])[0]).astype(int)
    b = _px(sd.render(TEXT, [4])[0]).astype(int)
    assert np.abs(a - b).max() <= 8 and np.array_equal(a, _px(half.render(TEXT, [4])[0]))
