"""Model dirs, listing, downloading (offline: fails fast) and the semmodels command."""

from __future__ import annotations

import fnmatch
import json
import shutil
import time
from pathlib import Path

import pytest

from semcodec import models
from semcodec.cli.semmodels import main
from semcodec.errors import EXIT_MISSING, MissingError, SemError
from semcodec.registry import CRITICS, DECODERS, decoder_by_name
from extras import needs_local


def test_model_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv(models.ENV_MODEL_DIR, raising=False)
    assert models.resolve_model_dir(None) is None
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(tmp_path / "env"))
    assert models.resolve_model_dir(None) == tmp_path / "env"
    assert models.resolve_model_dir(tmp_path / "arg") == tmp_path / "arg"  # the argument wins
    (tmp_path / "env" / "sd-turbo").mkdir(parents=True)
    assert models.model_folder("sd-turbo") == tmp_path / "env" / "sd-turbo"
    assert models.model_folder("sdxl-turbo") is None


def test_lookup():
    assert models.lookup("sd-turbo") is decoder_by_name("sd-turbo")
    assert models.lookup("ViT-B-32").role == "critic"
    assert models.lookup("judge").role == "judge"
    with pytest.raises(SemError, match="unknown model 'nope'; known: sd-turbo"):
        models.lookup("nope")


def test_diffusers_download_patterns_take_only_what_the_loader_reads():
    patterns = models.allow_patterns(decoder_by_name("sd-turbo"))

    def taken(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p) for p in patterns)

    for path in ("model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json",
                 "tokenizer_2/merges.txt", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                 "text_encoder_2/model.safetensors", "vae/diffusion_pytorch_model.safetensors"):
        assert taken(path), path
    for path in ("sd_turbo.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors",
                 "text_encoder/model.fp16.safetensors", "unet/diffusion_pytorch_model.bin", "README.md"):
        assert not taken(path), path


def test_list_models_with_and_without_weights(tiny_model_dir, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    rows = {r["name"]: r for r in models.list_models(tiny_model_dir)}
    for spec in (*DECODERS, *CRITICS):
        assert spec.name in rows
    assert rows["sd-turbo"]["id"] == 1 and rows["sd-turbo"]["kind"] == "decoder"
    assert rows["sd-turbo"]["weights"] == "model-dir" and rows["sd-turbo"]["path"] == str(tiny_model_dir / "sd-turbo")
    assert rows["sd-turbo"]["revision"] == decoder_by_name("sd-turbo").revision
    assert rows["ViT-B-32"]["kind"] == "critic" and rows["ViT-L-14"]["kind"] == "judge"
    assert rows["ViT-B-32"]["weights"] == "model-dir" and rows["ViT-B-32"]["id"] is None
    assert rows["gpt-image-2"]["weights"] == "api" and rows["gpt-image-2"]["api_key_set"] is False
    assert rows["gpt-image-2"]["deterministic"] is False and rows["dalle3"]["retired"] == "2026-05-12"
    for name in ("world-v1", "interrogator"):  # code only: neither an API nor missing weights
        assert rows[name]["weights"] == "built-in" and rows[name]["path"] is None
        with pytest.raises(SemError, match="built into semcodec"):
            models.download(name, tiny_model_dir)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    bare = {r["name"]: r for r in models.list_models(None)}
    assert bare["sd-turbo"]["weights"] == "missing" and bare["sd-turbo"]["path"] is None
    assert bare["gpt-image-2"]["api_key_set"] is True


@needs_local
def test_download_fails_fast_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(MissingError, match="HF_HUB_OFFLINE"):
        models.download("sd-turbo", tmp_path)
    assert time.perf_counter() - start < 5


@needs_local
def test_download_fails_fast_when_the_hub_is_unreachable(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    start = time.perf_counter()
    with pytest.raises(MissingError, match="cannot reach"):
        models.download("ViT-B-32", tmp_path)
    assert time.perf_counter() - start < 5


def test_download_api_model_is_refused():
    with pytest.raises(SemError, match="served by an API"):
        models.download("gpt-image-2", None)


def test_download_fetches_pinned_revision_into_the_loader_layout(tiny_model_dir, tmp_path, monkeypatch):
    """The hub call is faked (copying the tiny model); what is asked for and where it lands is real."""
    import huggingface_hub

    calls = []

    def fake_snapshot_download(repo_id, **kw):
        calls.append((repo_id, kw))
        shutil.copytree(tiny_model_dir / "sd-turbo", kw["local_dir"], dirs_exist_ok=True)
        return kw["local_dir"]

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(models, "hub_reachable", lambda timeout=3.0: None)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    out = models.download("sd-turbo", tmp_path / "m")
    spec = decoder_by_name("sd-turbo")
    assert out == tmp_path / "m" / "sd-turbo"
    (repo, kw), = calls
    assert repo == spec.source and kw["revision"] == spec.revision
    assert kw["allow_patterns"] == models.allow_patterns(spec)
    assert models.locate_weights(spec, tmp_path / "m") == out
    from semcodec.backends.diffusers_gen import load_generator

    gen = load_generator(spec, device="cpu", model_dir=tmp_path / "m")
    assert gen.render("a cat", [1])[0].image.size == (64, 64)


# -- semmodels ------------------------------------------------------------------


def test_semmodels_list_table(tiny_model_dir, capsys):
    assert main(["list", "--model-dir", str(tiny_model_dir)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["NAME", "ID", "KIND"]
    sd = next(line for line in lines if line.startswith("sd-turbo "))
    assert "model-dir" in sd and "stabilityai/sd-turbo@b261bac6fd2c" in sd
    assert any(line.startswith("ViT-L-14 ") and "judge" in line for line in lines)


def test_semmodels_list_json(tiny_model_dir, capsys, monkeypatch):
    monkeypatch.setenv("SEMCODEC_MODEL_DIR", str(tiny_model_dir))
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in rows}
    assert by_name["sdxl-turbo"]["weights"] == "model-dir"
    assert set(by_name["sdxl-turbo"]) >= {"name", "id", "kind", "source", "revision", "deterministic", "weights"}


@needs_local
def test_semmodels_download_offline_is_one_line_exit_4(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["download", "ViT-B-32", "--model-dir", str(tmp_path)]) == EXIT_MISSING
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and "ViT-B-32" in err and "Traceback" not in err
    assert not (tmp_path / "ViT-B-32").exists()


def test_semmodels_usage(capsys):
    assert main(["--version"]) == 0
    assert "semmodels" in capsys.readouterr().out
    assert main(["--help"]) == 0
    assert "download" in capsys.readouterr().out
    assert main(["download", "nope"]) == 1
    assert "unknown model" in capsys.readouterr().err
    assert main(["download"]) == 2
    assert main(["frobnicate"]) == 2


@needs_local
def test_tiny_builder_cli(tmp_path):
    from semcodec.testing.tiny import build_tiny_models, main as tiny_main

    assert tiny_main([]) == 2
    out = build_tiny_models(tmp_path, names=("ViT-B-32",))
    files = sorted(p.name for p in (out / "ViT-B-32").iterdir())
    assert files == ["open_clip_config.json", "open_clip_model.safetensors"]
    assert models.folder_complete(models.lookup("ViT-B-32"), Path(out / "ViT-B-32"))


def test_sd_turbo_taesd_download_fetches_both_repos_at_their_pins(tiny_model_dir, tmp_path, monkeypatch):
    """sd-turbo's files without its VAE weights, and TAESD into taesd/; the hub call is faked."""
    import huggingface_hub

    spec = decoder_by_name("sd-turbo-taesd")
    patterns = models.allow_patterns(spec)
    assert "vae/diffusion_pytorch_model.safetensors" not in patterns and "unet/diffusion_pytorch_model.safetensors" in patterns
    assert "vae/diffusion_pytorch_model.safetensors" in models.allow_patterns(decoder_by_name("sd-turbo"))
    calls = []

    def fake_snapshot_download(repo_id, **kw):
        calls.append((repo_id, kw))
        src = tiny_model_dir / "sd-turbo-taesd"
        shutil.copytree(src / "taesd" if repo_id == "madebyollin/taesd" else src, kw["local_dir"], dirs_exist_ok=True,
                        ignore=None if repo_id == "madebyollin/taesd" else shutil.ignore_patterns("taesd"))
        return kw["local_dir"]

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(models, "hub_reachable", lambda timeout=3.0: None)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    out = models.download("sd-turbo-taesd", tmp_path / "m")
    assert out == tmp_path / "m" / "sd-turbo-taesd"
    assert [(repo, kw["revision"]) for repo, kw in calls] == [
        ("stabilityai/sd-turbo", spec.revision), ("madebyollin/taesd", spec.params["vae_revision"])]
    assert calls[1][1]["local_dir"] == str(out / "taesd")
    assert calls[1][1]["allow_patterns"] == ["config.json", "diffusion_pytorch_model.safetensors"]
    from semcodec.backends.diffusers_gen import load_generator

    gen = load_generator(spec, device="cpu", model_dir=tmp_path / "m")
    assert type(gen.pipe.vae).__name__ == "AutoencoderTiny" and gen.render("a cat", [1])[0].image.size == (64, 64)
