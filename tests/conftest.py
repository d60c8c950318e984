"""Shared test fixtures.

- Every test runs offline and blind to the developer's own models: the session
  sets ``HF_HUB_OFFLINE=1``, points the Hugging Face cache at an empty folder
  and unsets ``SEMCODEC_MODEL_DIR`` (a test that needs otherwise uses monkeypatch).
- ``tiny_model_dir``: tiny random models built once per session with the real
  libraries (see :mod:`semcodec.testing.tiny`): DIR/ViT-B-32/, DIR/ViT-L-14/
  (open_clip), DIR/sd-turbo/, DIR/sdxl-turbo/ (diffusers, 64x64 output).  Pass
  it as ``model_dir=`` / ``--model-dir``.  Skipped only if torch & co. are absent.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _offline_and_isolated(tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("hf-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("HF_HOME", str(cache))
        mp.setenv("HF_HUB_CACHE", str(cache / "hub"))
        mp.delenv("SEMCODEC_MODEL_DIR", raising=False)
        hub = sys.modules.get("huggingface_hub.constants")
        if hub is not None:  # already imported: its constants were read from the old environment
            mp.setattr(hub, "HF_HUB_OFFLINE", True, raising=False)
            mp.setattr(hub, "HF_HUB_CACHE", str(cache / "hub"), raising=False)
        yield


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model dir holding tiny random ViT-B-32, ViT-L-14, sd-turbo and sdxl-turbo."""
    for module in ("torch", "open_clip", "diffusers", "transformers", "safetensors"):
        pytest.importorskip(module, reason="the tiny models need the 'local' extra")
    from semcodec.testing.tiny import build_tiny_models

    root = build_tiny_models(tmp_path_factory.mktemp("models"))
    with _tiny_pipelines_render_small():
        yield root


@contextlib.contextmanager
def _tiny_pipelines_render_small():
    """While tiny models are in use, a tiny pipeline loads at the size it was built for (64x64).

    Production code renders at the registry's native size; the size override is
    the loader's explicit ``size=`` argument, given here for tiny folders only.
    """
    from semcodec.backends import diffusers_gen
    from semcodec.models import locate_weights
    from semcodec.testing.tiny import render_size

    real = diffusers_gen.load_generator

    def load(spec, *, size=None, **kw):
        if size is None:
            try:
                size = render_size(locate_weights(spec, kw.get("model_dir")))
            except Exception:  # not found: the real loader reports it
                size = None
        return real(spec, size=size, **kw)

    load.real = real
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(diffusers_gen, "load_generator", load)
        yield
