"""sembench speed on the tiny models: every timed section is present, positive and consistent."""

from __future__ import annotations

import json
import math

import pytest

from semcodec.backends.base import DescribeRequest, Describer
from semcodec.bench import speed
from semcodec.cli import bench_speed
from semcodec.budget import Budget
from semcodec.registry import decoder_by_name, prompt_codec_by_name
from extras import needs_local


def test_speed_main_on_tiny_models(tiny_model_dir, tmp_path, capsys):
    out = tmp_path / "speed.json"
    rc = bench_speed.main(["--model-dir", str(tiny_model_dir), "--device", "cpu", "-n", "1", "-m", "1", "-k", "1",
                     "--steps", "1,2", "--json", "--out", str(out), "-q"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    report = json.loads(captured.out)
    assert json.loads(out.read_text()) == report
    assert report["schema"] == speed.SCHEMA

    env = report["environment"]
    assert env["device"] == "cpu" and env["versions"]["torch"] and env["versions"]["diffusers"]
    dec = report["models"]["decoder"]
    assert dec["dtype"] == "float32" and dec["width"] == dec["height"] == 64  # tiny marker size
    assert dec["weights"]["tiny"] is True and dec["params"]["unet"] > 0

    assert report["load_s"]["critic"] > 0 and report["load_s"]["decoder"] > 0
    assert report["warmup_s"]["first_render"] > 0 and report["warmup_s"]["first_critic_image_and_text"] > 0

    enc = report["encode"]
    assert len(enc["runs"]) == 1
    med = enc["median_s"]
    for key in ("score_text", "render", "score_image", "total", "critic_and_decoder"):
        assert med[key] > 0, key
    assert math.isclose(med["critic_and_decoder"], med["score_text"] + med["render"] + med["score_image"])
    assert med["total"] >= med["critic_and_decoder"]
    assert med["describe"] < 0.05  # the stand-in answers at once
    assert "not measured" in enc["describer"]
    assert enc["counts"] == {"renders": 1, "text_scorings": 1, "image_embeddings": 2}
    assert 16 <= enc["file_bytes"] <= 160

    assert report["decode"]["median_s"] > 0 and len(report["decode"]["runs_s"]) == 1

    assert [r["steps"] for r in report["render"]] == [1, 2]
    assert [r["registry"] for r in report["render"]] == [True, False]
    for r in report["render"]:
        comp = r["components_median_s"]
        assert {"text_encoder", "unet", "vae_decoder", "other"} <= set(comp)
        assert all(comp[key] > 0 for key in ("text_encoder", "unet", "vae_decoder"))
        assert sum(v for key, v in comp.items() if key != "other") <= r["median_s"] + 1e-9
        assert math.isclose(sum(comp.values()), r["median_s"], rel_tol=1e-9, abs_tol=1e-9)


def test_speed_table_output(tiny_model_dir, capsys):
    rc = bench_speed.main(["--model-dir", str(tiny_model_dir), "--device", "cpu", "-n", "1", "-m", "2", "-k", "1",
                     "--steps", "1", "-q"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    table = captured.out
    for label in ("load decoder", "encode: render (1 images)", "encode: score_text (2 texts)",
                  "encode: critic + decoder", "decode (warm", "render alone, 1 step(s) (registry)", "  unet",
                  "not measured: API"):
        assert label in table, label
    assert "torch " in table and "diffusers " in table


def test_component_clock_counts_unet_steps(tiny_model_dir):
    from semcodec.backends.diffusers_gen import load_generator

    gen = load_generator(decoder_by_name("sd-turbo"), device="cpu", model_dir=tiny_model_dir)
    with speed.steps_override(gen, 3), speed.component_clock(gen.pipe, "cpu") as clock:
        gen.render("a red square", [0])
    assert gen.steps == 1  # restored
    assert clock.calls == {"text_encoder": 1, "unet": 3, "vae_decoder": 1}
    # hooks removed: a second render leaves the finished clock alone
    gen.render("a red square", [0])
    assert clock.calls["unet"] == 3


def test_fixed_describer_prompts_fit_the_default_budget():
    describer = speed.FixedDescriber()
    assert isinstance(describer, Describer)
    budget = Budget(decoder=decoder_by_name("sd-turbo"), prompt_codec=prompt_codec_by_name("zstd-dict-v1"),
                    width=512, height=512, seed=127, max_file_bytes=160, max_text_bytes=None, count_tokens=None)
    request = DescribeRequest(image=speed.synthetic_image(16), m=3, max_text_bytes=300)
    first = describer.describe(request)
    assert len(first) == 3 and len(set(first)) == 3
    refined = describer.refine(request, first[1])
    assert refined[0] == first[1] and len(refined) == 3
    assert all(budget.fits(p) for p in speed.STAND_IN_PROMPTS)
    assert [c.kind for c in describer.calls] == ["describe", "refine"]


@needs_local
def test_bad_arguments_fail_cleanly(tmp_path, capsys):
    assert bench_speed.main(["-n", "1"]) == 2  # neither --model-dir nor --build
    assert "--model-dir" in capsys.readouterr().err
    assert bench_speed.main(["--model-dir", str(tmp_path), "--steps", "0"]) == 2
    assert bench_speed.main(["--model-dir", str(tmp_path), "--build", str(tmp_path / "other")]) == 2
    capsys.readouterr()
    # a model dir without the models: MissingError's exit code, one line
    assert bench_speed.main(["--model-dir", str(tmp_path / "empty"), "--device", "cpu", "-q"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ViT-B-32" in err


@pytest.mark.parametrize("size", [8, 64])
def test_synthetic_image_is_deterministic(size):
    a, b = speed.synthetic_image(size), speed.synthetic_image(size)
    assert a.size == (size, size) and a.mode == "RGB" and a.tobytes() == b.tobytes()


# -- semcodec.bench.random_weights: configuration only (building it takes ~6 GB, never in tests) --------


def test_real_arch_configs_are_sd21():
    from semcodec.bench import random_weights as ra

    unet = ra.SD21_UNET
    # SD 2.x: 64-channel heads, i.e. heads = channels / 64 per block
    assert list(unet["attention_head_dim"]) == [c // 64 for c in unet["block_out_channels"]] == [5, 10, 20, 20]
    assert unet["cross_attention_dim"] == ra.SD21_TEXT["hidden_size"] == 1024
    assert unet["use_linear_projection"] is True and unet["sample_size"] * 8 == 512
    assert ra.SD21_TEXT["num_hidden_layers"] == 23 and ra.SD21_TEXT["hidden_act"] == "gelu"
    assert ra.SD_VAE["block_out_channels"] == (128, 256, 512, 512) and ra.SD_VAE["scaling_factor"] == 0.18215


@needs_local
def test_real_arch_refuses_bad_requests(tmp_path):
    from semcodec.errors import SemError
    from semcodec.bench import random_weights as ra

    with pytest.raises(SemError, match="no real-architecture builder"):
        ra.build_real_arch(tmp_path, which=("dalle3",))
    with pytest.raises(SemError, match="dtype"):
        ra.build_real_arch(tmp_path, dtype="int8")
    foreign = tmp_path / "sd-turbo"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(SemError, match="not written by real_arch"):
        ra.build_sd_turbo(foreign)
    assert (foreign / "keep.txt").read_text() == "mine"


# -- sd-turbo against sd-turbo-taesd in one run, and the CPU settings sweep ------------------------


def test_speed_compares_sd_turbo_taesd_in_the_same_run(tiny_model_dir, capsys):
    rc = bench_speed.main(["--model-dir", str(tiny_model_dir), "--device", "cpu", "-n", "1", "-m", "1", "-k", "1",
                     "--steps", "1", "--cpu-settings", "--json", "-q"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    report = json.loads(captured.out)
    (cmp,) = report["compare"]  # the default for --decoder sd-turbo
    assert cmp["name"] == "sd-turbo-taesd" and cmp["vae"] == "AutoencoderTiny"
    assert cmp["weights"]["tiny"] is True and cmp["params"]["vae"] > 0
    assert cmp["load_s"] > 0 and cmp["first_render_s"] > 0
    assert math.isclose(cmp["decode_ratio"], cmp["decode"]["median_s"] / report["decode"]["median_s"])
    (render,) = cmp["render"]
    assert render["registry"] and render["steps"] == 1
    assert all(render["components_median_s"][k] > 0 for k in ("text_encoder", "unet", "vae_decoder"))
    base = next(r for r in report["render"] if r["registry"])
    assert math.isclose(cmp["render_ratio"], render["median_s"] / base["median_s"])

    sweep = cmp["cpu_settings"]
    rows = {row["name"]: row for row in sweep["settings"]}
    assert list(rows) == list(speed.SETTINGS)
    assert rows["registry"]["ratio_to_registry"] == 1.0 and rows["registry"]["same_pixels_as_registry"]
    # neither the thread count nor the grad mode may change a pixel
    assert rows["threads=1"]["same_pixels_as_registry"] and rows["no_grad instead of inference_mode"][
        "same_pixels_as_registry"]
    assert all(row["median_s"] > 0 for row in rows.values())


def test_speed_table_shows_the_comparison(tiny_model_dir, capsys):
    rc = bench_speed.main(["--model-dir", str(tiny_model_dir), "--device", "cpu", "-n", "1", "-m", "1", "-k", "1",
                     "--steps", "1", "--compare", "sd-turbo-taesd", "-q"])
    table = capsys.readouterr().out
    assert rc == 0
    assert "compared in the same run: sd-turbo-taesd (vae AutoencoderTiny" in table
    assert "decode with sd-turbo-taesd (warm)" in table and "x the sd-turbo decode" in table


def test_settings_are_undone(tiny_model_dir):
    import torch

    from semcodec.backends.diffusers_gen import load_generator

    gen = load_generator(decoder_by_name("sd-turbo-taesd"), device="cpu", model_dir=tiny_model_dir)
    threads = torch.get_num_threads()
    for name in speed.SETTINGS:
        with speed._setting(gen, name) as run:
            assert run("a red square").size == (64, 64)
        assert torch.get_num_threads() == threads
        weight = gen.pipe.unet.conv_in.weight
        assert weight.is_contiguous(), name  # back to the registry's layout (channels-last off)


def test_compare_none_and_bad_compare(tiny_model_dir, capsys):
    rc = bench_speed.main(["--model-dir", str(tiny_model_dir), "--device", "cpu", "-n", "1", "-m", "1", "-k", "1",
                     "--steps", "1", "--compare", "none", "--json", "-q"])
    assert rc == 0 and "compare" not in json.loads(capsys.readouterr().out)
    assert bench_speed.main(["--model-dir", str(tiny_model_dir), "--compare", "gpt-image-2"]) == 2
    assert bench_speed.main(["--model-dir", str(tiny_model_dir), "--compare", "sd-turbo"]) == 2
    assert "--compare" in capsys.readouterr().err


@needs_local
def test_real_arch_taesd_is_autoencoder_tiny_defaults():
    import inspect

    import diffusers

    from semcodec.bench import random_weights as ra

    defaults = {k: v.default for k, v in inspect.signature(diffusers.AutoencoderTiny.__init__).parameters.items()
                if k != "self"}
    assert {k: defaults[k] for k in ra.TAESD} == ra.TAESD  # TAESD is AutoencoderTiny's default configuration
    assert ra.TAESD["latent_channels"] == ra.SD_VAE["latent_channels"] == 4
    assert "sd-turbo-taesd" in ra.SUPPORTED
