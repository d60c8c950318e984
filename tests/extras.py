"""Skip marks for tests that need an optional extra, so the light installs the README offers
(``semcodec`` alone, ``semcodec[openai]``) run their own subset in CI (``.ci/run``)."""

import importlib.util

import pytest


def _have(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


needs_local = pytest.mark.skipif(not _have("torch", "open_clip", "diffusers", "huggingface_hub"),
                                 reason="needs the 'local' extra")
needs_bench = pytest.mark.skipif(not _have("skimage", "matplotlib"), reason="needs the 'bench' extra")
needs_openai = pytest.mark.skipif(not _have("openai"), reason="needs the 'openai' extra")
