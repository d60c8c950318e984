"""Model backends behind the interfaces of :mod:`semcodec.backends.base`.

Factories dispatch on registry data and import the heavy library only when a
backend is actually loaded.
"""

from __future__ import annotations

from typing import Any

from ..errors import SemError
from ..registry import DEFAULT_CRITIC, DecoderSpec


def load_generator(spec: DecoderSpec, *, device: str | None = None, model_dir=None,
                   size: tuple[int, int] | None = None, **api: Any):
    """A Generator for a decoder registry entry, by the registry's family -> loader table.

    ``size`` renders a local decoder at another than its native size (timing
    runs and small test models only: see :func:`.diffusers_gen.load_generator`);
    ``api`` holds an API decoder's client settings (key, base URL, retries).
    """
    from ..registry import GENERATOR_LOADERS, resolve_loader

    if spec.family not in GENERATOR_LOADERS:
        raise ValueError(f"unknown decoder family {spec.family!r}")
    if size is not None and spec.family != "diffusers":
        raise SemError(f"{spec.name} renders only at its native size")
    load = resolve_loader(GENERATOR_LOADERS[spec.family])
    if spec.family == "diffusers":
        return load(spec, device=device, model_dir=model_dir, size=size)
    if spec.family == "openai":
        return load(spec, **api)
    return load(spec)


def load_critic(name: str = DEFAULT_CRITIC, *, device: str | None = None, model_dir=None):
    """A Critic by registry name: its family's loader (``registry.CRITIC_LOADERS``: open_clip for the CLIPs)."""
    from ..registry import CRITIC_LOADERS, critic_by_name, resolve_loader

    spec = critic_by_name(name)  # SemError naming the registered critics
    return resolve_loader(CRITIC_LOADERS[spec.family])(spec.name, device=device, model_dir=model_dir)


def load_describer(name: str, *, model: str | None = None, device: str | None = None, model_dir=None, **api: Any):
    """A Describer: "openai" (API, needs OPENAI_API_KEY), "interrogator" or a local VLM registry name.

    "interrogator" (LLM-free, :mod:`.interrogator`) scores vocabulary phrases
    with a CLIP critic: ``critic=`` an already loaded Critic, else ``model``
    names the critic to load (default ``DEFAULT_WORLD_CRITIC``, world-graph); ``vocabulary=`` a name
    (``photo``, ``world``) or a file, by default ``world`` for the world-*
    critics and ``photo`` for the others.
    """
    from ..registry import DEFAULT_TEXT_MODEL, DESCRIBER_LOADERS, describer_by_name, resolve_loader

    spec = describer_by_name(name)  # SemError naming the registered describers
    load = resolve_loader(DESCRIBER_LOADERS[spec.family])
    if spec.family == "interrogator":
        return load(api.get("critic") or model, vocabulary=api.get("vocabulary"), device=device, model_dir=model_dir)
    if spec.family == "openai":
        return load(model or DEFAULT_TEXT_MODEL, **api)
    return load(spec.name, model_dir=model_dir, device=device)
