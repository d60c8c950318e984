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

from semcodec.backends import diffusers_gen  # noqa: E402
from semcodec.backends.diffusers_gen import DiffusersGenerator  # noqa: E402


def load_generator(*args, **kwargs):  # looked up at call time: the tiny-size harness of conftest.py applies
    return diffusers_gen.load_generator(*args, **kwargs)

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
    assert (sd.width, sd.height) == (64, 64)  # the test harness passes size= for tiny folders
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


# -- sd-turbo-taesd: sd-turbo's UNet and text encoder with the tiny autoencoder (TAESD) -----------


@pytest.fixture(scope="module")
def taesd(tiny_model_dir) -> DiffusersGenerator:
    return load_generator(decoder_by_name("sd-turbo-taesd"), device="cpu", model_dir=tiny_model_dir)


def test_taesd_loads_autoencoder_tiny_with_sd_turbo_settings(taesd, sd):
    import diffusers

    assert isinstance(taesd.pipe.vae, diffusers.AutoencoderTiny)
    assert isinstance(sd.pipe.vae, diffusers.AutoencoderKL)
    assert type(taesd.pipe.scheduler).__name__ == "EulerDiscreteScheduler"
    assert taesd.pipe.scheduler.config.timestep_spacing == "trailing"
    assert taesd.steps == 1 and taesd.guidance_scale == 0.0 and taesd.token_limit == 77
    assert taesd.vae_scale_factor == 8 and (taesd.width, taesd.height) == (64, 64)
    assert taesd.pipe.unet.dtype == torch.float32
    # channels-last was measured slower on the CPU (bench/results/speed-cpu.md): the registry leaves it off
    assert decoder_by_name("sd-turbo-taesd").params["cpu_channels_last"] is False
    assert taesd.pipe.unet.conv_in.weight.is_contiguous() and sd.pipe.unet.conv_in.weight.is_contiguous()


def test_taesd_file_decodes_identically_twice(taesd, tiny_model_dir):
    from semcodec.container import SemFile
    from semcodec.container import decode as read
    from semcodec.decoder import decode_image
    from semcodec.prompt import Prompt

    data = SemFile.create(Prompt("a lighthouse on a rocky cliff", ["a stormy sea"], "dusk"), decoder="sd-turbo-taesd",
                          seed=5, width=64, height=64).to_bytes()
    first = decode_image(read(data), taesd)
    again = decode_image(read(data), taesd)
    fresh = decode_image(read(data), load_generator(decoder_by_name("sd-turbo-taesd"), device="cpu",
                                                       model_dir=tiny_model_dir))
    assert first.exact and "exact picture" in first.note
    assert np.array_equal(np.asarray(first.image), np.asarray(again.image))
    assert np.array_equal(np.asarray(first.image), np.asarray(fresh.image))
    assert np.asarray(first.image).std() > 0
    other = decode_image(read(SemFile.create(Prompt("a green field", [], ""), decoder="sd-turbo-taesd", seed=5,
                                             width=64, height=64).to_bytes()), taesd)
    assert not np.array_equal(np.asarray(first.image), np.asarray(other.image))


def test_taesd_previews_an_sd_turbo_file_and_says_so(taesd, sd):
    from semcodec.container import SemFile
    from semcodec.decoder import decode_image
    from semcodec.prompt import Prompt

    sem = SemFile.create(Prompt(TEXT, [], ""), decoder="sd-turbo", seed=2, width=64, height=64)
    preview, own = decode_image(sem, taesd), decode_image(sem, sd)
    assert own.exact and not preview.exact
    assert "preview" in preview.note and "not the picture the encoder chose" in preview.note
    # same UNet latents, another VAE decoder: other pixels
    assert not np.array_equal(np.asarray(preview.image), np.asarray(own.image))


def test_taesd_needs_its_vae_folder(tiny_model_dir, tmp_path, monkeypatch):
    import shutil

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    shutil.copytree(tiny_model_dir / "sd-turbo-taesd", tmp_path / "sd-turbo-taesd", ignore=shutil.ignore_patterns("taesd"))
    with pytest.raises(MissingError) as err:
        load_generator(decoder_by_name("sd-turbo-taesd"), device="cpu", model_dir=tmp_path)
    assert "madebyollin/taesd" in str(err.value) and "semmodels download sd-turbo-taesd" in str(err.value)
    (tmp_path / "sd-turbo-taesd" / "taesd").mkdir()  # present but empty: said so, not loaded half
    with pytest.raises(MissingError, match="no complete copy of madebyollin/taesd"):
        load_generator(decoder_by_name("sd-turbo-taesd"), device="cpu", model_dir=tmp_path)


def test_semenc_and_semdec_take_sd_turbo_taesd(tiny_model_dir, tmp_path, capsys):
    import json

    from PIL import Image

    from semcodec.cli import semdec, semenc
    from semcodec.container import decode as read

    p = tmp_path / "p.json"
    p.write_text(json.dumps({"scene": "a red boat", "objects": ["a gull"], "lighting": "dawn"}))
    own, base = tmp_path / "t.sem", tmp_path / "s.sem"
    assert semenc.main(["--prompt", str(p), "-o", str(own), "--decoder", "sd-turbo-taesd", "--seed", "3"]) == 0
    assert semenc.main(["--prompt", str(p), "-o", str(base), "--seed", "3"]) == 0
    assert read(own.read_bytes()).decoder.id == 9 and read(base.read_bytes()).decoder.id == 1
    capsys.readouterr()
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert semdec.main([str(own), "-o", str(a), "--model-dir", str(tiny_model_dir)]) == 0
    assert "exact picture" in capsys.readouterr().err
    assert semdec.main([str(base), "-o", str(b), "--decoder", "sd-turbo-taesd", "--model-dir", str(tiny_model_dir)]) == 0
    err = capsys.readouterr().err
    assert "preview" in err and "not the picture the encoder chose" in err
    # the same prompt, seed and decoder: the same pixels whichever file carried them
    assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))


def test_the_native_size_is_registry_data_not_a_folder_marker(tiny_model_dir):
    """Production reads no size from the weights folder: only an explicit size= changes it."""
    real = diffusers_gen.load_generator.real  # the loader without the test harness
    spec = decoder_by_name("sd-turbo")
    assert (spec.width, spec.height) == (512, 512)
    gen = real(spec, device="cpu", model_dir=tiny_model_dir)
    assert (gen.width, gen.height) == (512, 512)
    gen = real(spec, device="cpu", model_dir=tiny_model_dir, size=(64, 48))
    assert (gen.width, gen.height) == (64, 48)
    with pytest.raises(SemError, match="not a multiple of 8"):
        real(spec, device="cpu", model_dir=tiny_model_dir, size=(60, 64))
