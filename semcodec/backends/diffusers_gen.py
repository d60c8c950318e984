"""Seeded local text-to-image through diffusers (sd-turbo, sdxl-turbo, sd-turbo-taesd).

Determinism: image ``i`` comes from the initial latents
``torch.randn((1, C, H/f, W/f), generator=torch.Generator("cpu").manual_seed(seed),
dtype=float32)`` (C latent channels, f the VAE scale factor), cast to the
pipeline's dtype and device, and the registry's fixed steps, guidance and
scheduler.  Every image is rendered in its own pipeline call, so a seed gives
the same pixels whatever else is rendered with it (given the same library
versions, weights and device class).

sd-turbo-taesd loads sd-turbo's folder with the registry's ``vae`` class
(``AutoencoderTiny``) from its own pinned repo in place of the pipeline's VAE
(:func:`semcodec.models.locate_vae`); on the CPU its UNet and VAE use the
channels-last memory layout when the registry says ``cpu_channels_last``
(a setting of that decoder only: it never applies to sd-turbo or sdxl-turbo).

No silent truncation: a prompt longer than the text encoder's context
(``spec.token_limit`` tokens, BOS/EOS included) is refused with BudgetError
before anything is rendered; diffusers would otherwise cut it at 77 tokens.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any, Sequence

from ..errors import BackendError, BudgetError, MissingError, SemError
from ..models import locate_vae, locate_weights, vae_part
from ..registry import DecoderSpec
from .base import Rendered
from .device import LOCAL_EXTRA, import_torch, pick_device, torch_dtype

_SDXL_CLASSES = ("StableDiffusionXLPipeline",)
_MAX_SEED = 2**64 - 1


def _import_diffusers() -> Any:
    try:
        import diffusers
    except ImportError:
        raise MissingError(f"local decoders need diffusers, which is not installed; {LOCAL_EXTRA}") from None
    return diffusers


def _dtype_kwarg(diffusers: Any, dtype: Any) -> dict[str, Any]:
    """diffusers renamed ``torch_dtype`` to ``dtype``; pass whichever this version takes."""
    try:
        from diffusers.utils.deprecation_utils import _resolve_dtype  # noqa: F401  (present where dtype= exists)
    except ImportError:
        return {"torch_dtype": dtype}
    return {"dtype": dtype}


@contextlib.contextmanager
def quiet_progress() -> Any:
    """Hide diffusers' and transformers' loading bars for the duration, then restore them."""
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog

    was = (dlog.is_progress_bar_enabled(), tlog.is_progress_bar_enabled())
    dlog.disable_progress_bar()
    tlog.disable_progress_bar()
    try:
        yield
    finally:
        if was[0]:
            dlog.enable_progress_bar()
        if was[1]:
            tlog.enable_progress_bar()


@contextlib.contextmanager
def _quiet_warnings(on: bool) -> Any:
    """Silence diffusers' load-time warnings for the duration (a pipeline given an
    AutoencoderTiny for its vae warns about the type and about TAESD's stored block_out_channels)."""
    from diffusers.utils import logging as dlog

    if not on:
        yield
        return
    level = dlog.get_verbosity()
    dlog.set_verbosity_error()
    try:
        yield
    finally:
        dlog.set_verbosity(level)


class DiffusersGenerator:
    """A :class:`~semcodec.backends.base.Generator` over a loaded diffusers pipeline."""

    def __init__(self, spec: DecoderSpec, pipe: Any, *, device: str, width: int, height: int, folder: Path) -> None:
        self.spec = spec
        self.name = spec.name
        self.pipe = pipe
        self.device = device
        self.width = width
        self.height = height
        self.folder = folder
        self._tokenizers = [t for t in (getattr(pipe, "tokenizer", None), getattr(pipe, "tokenizer_2", None)) if t]
        if not self._tokenizers:
            raise BackendError(f"{spec.name}: the pipeline has no tokenizer")
        self.token_limit = spec.token_limit or min(int(t.model_max_length) for t in self._tokenizers)
        self.steps = int(spec.params.get("steps", 1))
        self.guidance_scale = float(spec.params.get("guidance_scale", 0.0))
        vae_blocks = len(pipe.vae.config.block_out_channels)
        self.vae_scale_factor = 2 ** (vae_blocks - 1)
        self.latent_channels = int(pipe.unet.config.in_channels)
        if width % self.vae_scale_factor or height % self.vae_scale_factor:
            raise BackendError(f"{spec.name}: size {width}x{height} is not a multiple of {self.vae_scale_factor}")

    # -- Generator protocol -------------------------------------------------
    def count_tokens(self, text: str) -> int:
        """Tokens the text encoder(s) would see, BOS/EOS included (the larger if two)."""
        counts = []
        for tok in self._tokenizers:
            ids = tok(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
            counts.append(len(ids))
        return max(counts)

    def check_tokens(self, text: str) -> int:
        """The token count, or BudgetError if it exceeds the decoder's limit."""
        n = self.count_tokens(text)
        if n > self.token_limit:
            raise BudgetError(
                f"the prompt is {n} tokens for {self.spec.name}'s text encoder (BOS/EOS included), "
                f"the limit is {self.token_limit}; it would be truncated, so it is refused: shorten it"
            )
        return n

    def initial_latents(self, seed: int) -> Any:
        """The float32 CPU noise a seed stands for (before the scheduler's scaling)."""
        torch = import_torch()
        gen = torch.Generator("cpu").manual_seed(seed)
        shape = (1, self.latent_channels, self.height // self.vae_scale_factor, self.width // self.vae_scale_factor)
        return torch.randn(shape, generator=gen, dtype=torch.float32)

    def render(self, text: str, seeds: Sequence[int | None]) -> list[Rendered]:
        """One image per seed, each in its own call (see the module docstring)."""
        self.check_tokens(text)
        for seed in seeds:
            if seed is None or isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
                raise SemError(f"{self.spec.name} is deterministic and needs an integer seed 0..2^64-1, not {seed!r}")
        return [self._render_one(text, seed) for seed in seeds]

    # -- internals ------------------------------------------------------------
    def call_pipe(self, text: str, seed: int) -> Any:
        """The pipeline call for one seed, without a grad-mode context (rendering wraps it in
        ``torch.inference_mode``; ``sembench speed --cpu-settings`` times the alternatives)."""
        torch = import_torch()
        latents = self.initial_latents(seed).to(device=self.device, dtype=self.pipe.unet.dtype)
        step_gen = torch.Generator("cpu").manual_seed(seed)  # only an ancestral step draws from it (times 0 at 1 step)
        return self.pipe(
            prompt=text,
            height=self.height,
            width=self.width,
            num_inference_steps=self.steps,
            guidance_scale=self.guidance_scale,
            generator=step_gen,
            latents=latents,
            output_type="pil",
        )

    def _render_one(self, text: str, seed: int) -> Rendered:
        torch = import_torch()
        start = time.perf_counter()
        try:
            with torch.inference_mode():
                out = self.call_pipe(text, seed)
        except torch.cuda.OutOfMemoryError:
            raise BackendError(f"{self.spec.name}: out of GPU memory rendering {self.width}x{self.height}") from None
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"{self.spec.name}: rendering failed: {str(exc).splitlines()[0]}") from None
        image = out.images[0].convert("RGB")
        return Rendered(image=image, seed=seed, seconds=time.perf_counter() - start)


def load_generator(
    spec: DecoderSpec,
    *,
    device: str | None = None,
    model_dir: str | os.PathLike | None = None,
    size: tuple[int, int] | None = None,
) -> DiffusersGenerator:
    """Load a diffusers decoder: ``model_dir/<name>/`` if present, else the HF cache or hub
    at the pinned revision (MissingError, fast, when none can supply it).

    ``size`` (width, height) renders at another size than the registry's.  The
    native size is part of the decoder ID's meaning, so a seeded file rendered
    at another size is not the picture its encoder chose: this is for timing
    runs (``sembench speed --size``) and for small test models, never for
    decoding a file a user sent.
    """
    if spec.family != "diffusers":
        raise SemError(f"{spec.name} is not a diffusers decoder (family {spec.family})")
    folder = locate_weights(spec, model_dir)  # first: a missing model fails before the heavy imports
    vae_folder = locate_vae(spec, folder, model_dir) if vae_part(spec) is not None else None
    diffusers = _import_diffusers()
    dev = pick_device(device)
    params = spec.params
    dtype = torch_dtype(dev, params)
    try:
        index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackendError(f"{folder}/model_index.json: unreadable ({exc})") from None
    extra: dict[str, Any] = {}
    if index.get("_class_name") in _SDXL_CLASSES:
        extra["add_watermarker"] = False  # the invisible watermark would make pixels depend on an optional package
    pipeline_cls = getattr(diffusers, str(params.get("pipeline", "DiffusionPipeline")), diffusers.DiffusionPipeline)
    try:
        with quiet_progress(), _quiet_warnings(vae_folder is not None):
            if vae_folder is not None:  # a VAE from its own repo (TAESD) replaces the pipeline's
                vae_cls = getattr(diffusers, str(params["vae"]))
                extra["vae"] = vae_cls.from_pretrained(
                    str(vae_folder), local_files_only=True, **_dtype_kwarg(diffusers, dtype)
                )
            pipe = pipeline_cls.from_pretrained(
                str(folder), local_files_only=True, **_dtype_kwarg(diffusers, dtype), **extra
            )
        scheduler_cls = getattr(diffusers, str(params["scheduler"])) if "scheduler" in params else None
        if scheduler_cls is not None:
            overrides = {"timestep_spacing": params["timestep_spacing"]} if "timestep_spacing" in params else {}
            pipe.scheduler = scheduler_cls.from_config(pipe.scheduler.config, **overrides)
        pipe = pipe.to(dev)
        if params.get("cpu_channels_last") and dev == "cpu":
            torch = import_torch()
            for module in (pipe.unet, pipe.vae):
                module.to(memory_format=torch.channels_last)
    except (OSError, ValueError, RuntimeError, KeyError, AttributeError, TypeError) as exc:
        raise BackendError(f"cannot load {spec.name} from {folder}: {str(exc).splitlines()[0]}") from None
    pipe.set_progress_bar_config(disable=True)
    width, height = size if size is not None else (spec.width, spec.height)
    return DiffusersGenerator(spec, pipe, device=dev, width=width, height=height, folder=folder)
