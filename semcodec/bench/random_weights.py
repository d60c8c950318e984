"""The real architectures with random weights, for honest speed measurements.

Compute cost does not depend on the weights' values, so a model of the true
size and shape, randomly initialised, times like the released one (with two
caveats, stated in every speed report: random weights can produce other
activation magnitudes, and cold-cache load times depend on the disk).

``python -m semcodec.bench.random_weights DIR`` (or :func:`build_real_arch`) writes,
in exactly the layout the production loaders read (``semcodec.models``):

- ``DIR/sd-turbo/``: a diffusers ``StableDiffusionPipeline`` saved with
  ``save_pretrained`` (fp32 safetensors, as the registry's repo files):

  * UNet2DConditionModel, Stable Diffusion 2.1 configuration: block_out_channels
    (320, 640, 1280, 1280), 2 layers per block, CrossAttnDown x3 + Down /
    Up + CrossAttnUp x3, attention_head_dim (5, 10, 20, 20) (64-channel heads),
    cross_attention_dim 1024, use_linear_projection, norm 32 groups; sample_size
    64 (512 px), as sd-turbo;
  * AutoencoderKL, Stable Diffusion configuration: (128, 256, 512, 512), 2 layers
    per block, 4 latent channels, scaling factor 0.18215;
  * CLIPTextModel with the OpenCLIP ViT-H/14 text tower as SD 2.x uses it:
    hidden 1024, 23 layers (the 24th is dropped: SD 2 reads the penultimate
    layer), 16 heads, MLP 4096, GELU, 77 positions, vocabulary 49,408;
  * CLIPTokenizer with the real CLIP BPE vocabulary (built from open_clip's
    ``bpe_simple_vocab_16e6.txt.gz``, see :func:`clip_vocab`),
    pad token "!" as SD 2.x;
  * EulerDiscreteScheduler, scaled-linear betas 0.00085..0.012 over 1000 steps,
    trailing spacing (the loader re-applies the registry's scheduler anyway).

  Sources checked: huggingface/candle
  ``candle-transformers/src/models/stable_diffusion/mod.rs`` (``v2_1_``, quoting
  stabilityai/stable-diffusion-2-1's unet/vae config.json) and ``clip.rs``
  (``Config::v2_1``, quoting its text_encoder/config.json); diffusers'
  ``loaders/single_file_utils.py`` (SD 2 head dims = model_channels /
  num_head_channels x channel_mult = 5, 10, 20, 20).  Not verified against the
  sd-turbo repo itself (not reachable here): its scheduler's prediction_type
  and the UNet's upcast_attention flag; neither changes fp32 compute.

- ``DIR/sd-turbo-taesd/``: sd-turbo's files (hard links to ``DIR/sd-turbo/``, no
  vae/) and TAESD (``AutoencoderTiny``'s default configuration, which is
  madebyollin/taesd's: 2.4M parameters, see ``TAESD``) in ``taesd/``;

- ``DIR/ViT-B-32/``: ``open_clip.create_model("ViT-B-32")`` (random init; open_clip's
  built-in config: 224 px, patch 32, width 768 x 12 layers; text 512 x 12 layers,
  embed 512) saved as ``open_clip_config.json`` + ``open_clip_model.safetensors``
  with OpenAI CLIP preprocessing, the hub repo's layout.

Each folder also gets ``semcodec.json`` saying ``{"random_weights": true,
"real_arch": true, ...}`` so no one mistakes the weights for the real ones
(the diffusers loader reads only width/height from it; none are written, so
the registry's 512x512 holds).  Folders already built with the same settings
are kept.  About 5.2 GB for sd-turbo in fp32 and 0.6 GB for ViT-B-32: write
them under /tmp or another scratch disk, never into the repository.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path
from typing import Any, Sequence

from ..errors import MissingError, SemError

MARKER = "semcodec.json"
CLIP_VOCAB_SIZE = 49408
SEED = 20240611
SUPPORTED = ("sd-turbo", "ViT-B-32", "sd-turbo-taesd")
DTYPES = ("float32", "float16")
_OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
_OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)

# Stable Diffusion 2.1 UNet (see the module docstring for sources); sample_size 64 = 512 px / 8.
SD21_UNET = {
    "sample_size": 64,
    "in_channels": 4,
    "out_channels": 4,
    "center_input_sample": False,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "down_block_types": ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    "block_out_channels": (320, 640, 1280, 1280),
    "layers_per_block": 2,
    "downsample_padding": 1,
    "mid_block_scale_factor": 1,
    "act_fn": "silu",
    "norm_num_groups": 32,
    "norm_eps": 1e-5,
    "cross_attention_dim": 1024,
    "attention_head_dim": (5, 10, 20, 20),
    "use_linear_projection": True,
}

SD_VAE = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "act_fn": "silu",
    "latent_channels": 4,
    "norm_num_groups": 32,
    "sample_size": 512,
    "scaling_factor": 0.18215,
}

# OpenCLIP ViT-H/14 text tower as SD 2.x's text_encoder/config.json has it (23 of 24 layers).
SD21_TEXT = {
    "vocab_size": 49408,
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "num_hidden_layers": 23,
    "num_attention_heads": 16,
    "max_position_embeddings": 77,
    "projection_dim": 512,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-5,
    "bos_token_id": 49406,
    "eos_token_id": 49407,
    "pad_token_id": 0,  # "!" in the CLIP vocabulary
}

SD_SCHEDULER = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "prediction_type": "epsilon",
    "timestep_spacing": "trailing",
    "steps_offset": 1,
}


def _imports() -> Any:
    try:
        import diffusers
        import open_clip
        import torch
        import transformers
        from safetensors.torch import save_file
    except ImportError as exc:
        raise MissingError(f"building the real architectures needs {exc.name}; pip install 'semcodec[local]'") from None
    return torch, open_clip, diffusers, transformers, save_file


def _marker(name: str, dtype: str, seed: int) -> dict[str, Any]:
    return {
        "random_weights": True,
        "real_arch": True,
        "model": name,
        "dtype": dtype,
        "seed": seed,
        "note": "real architecture, RANDOM weights (semcodec.bench.random_weights): for timing only, images are noise",
    }


def read_marker(folder: str | Path) -> dict[str, Any]:
    """The folder's ``semcodec.json`` (an empty dict if absent or unreadable)."""
    path = Path(folder) / MARKER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------------------
# CLIP BPE vocabulary (the one open_clip ships), in transformers' format
# ---------------------------------------------------------------------------


def _bytes_to_unicode() -> dict[int, str]:
    from open_clip.tokenizer import bytes_to_unicode

    return bytes_to_unicode()


def clip_vocab() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """(vocab, merges) of the 49,408-token CLIP BPE, built from open_clip's bundled file.

    Token ids match OpenAI's tokenizer (BOS 49406, EOS 49407), so token counts
    of the tiny pipelines equal those of the real ones.
    """
    from open_clip.tokenizer import default_bpe

    lines = gzip.open(default_bpe()).read().decode("utf-8").split("\n")
    merges = lines[1 : 49152 - 256 - 2 + 1]
    pairs = [tuple(m.split()) for m in merges]
    units = list(_bytes_to_unicode().values())
    tokens = units + [u + "</w>" for u in units] + ["".join(p) for p in pairs]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(tokens)}
    if len(vocab) != CLIP_VOCAB_SIZE:
        raise AssertionError(f"CLIP vocabulary has {len(vocab)} tokens, expected {CLIP_VOCAB_SIZE}")
    return vocab, pairs


def _already_built(folder: Path, name: str, dtype: str, seed: int) -> bool:
    from ..models import folder_complete, lookup

    return folder_complete(lookup(name), folder) and read_marker(folder) == _marker(name, dtype, seed)


def _fresh(folder: Path) -> None:
    """Empty ``folder`` if it holds an earlier (other-settings or partial) build of ours, then create it."""
    if folder.exists():
        if not read_marker(folder).get("real_arch") and any(folder.iterdir()):
            raise SemError(f"{folder}/ exists and was not written by real_arch: refusing to overwrite it")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def build_sd_turbo(folder: Path, *, dtype: str = "float32", seed: int = SEED) -> Path:
    """sd-turbo's architecture (Stable Diffusion 2.1, 512 px) with random weights, diffusers layout."""
    torch, _, diffusers, transformers, _ = _imports()

    _fresh(folder)
    torch.manual_seed(seed)
    unet = diffusers.UNet2DConditionModel(**SD21_UNET)
    vae = diffusers.AutoencoderKL(**SD_VAE)
    text_encoder = transformers.CLIPTextModel(transformers.CLIPTextConfig(**SD21_TEXT))
    vocab, merges = clip_vocab()
    tokenizer = transformers.CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77, pad_token="!")
    scheduler = diffusers.EulerDiscreteScheduler(**SD_SCHEDULER)
    pipe = diffusers.StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    if dtype != "float32":  # modules are created in float32
        pipe.to(getattr(torch, dtype))
    pipe.save_pretrained(str(folder), safe_serialization=True)
    (folder / MARKER).write_text(json.dumps(_marker("sd-turbo", dtype, seed), indent=2) + "\n", encoding="utf-8")
    return folder


def build_vit_b_32(folder: Path, *, dtype: str = "float32", seed: int = SEED) -> Path:
    """open_clip ViT-B-32 (built-in config) with random weights, open_clip hub layout."""
    torch, open_clip, _, _, save_file = _imports()
    _fresh(folder)
    model_cfg = open_clip.get_model_config("ViT-B-32")
    if model_cfg is None:
        raise MissingError("this open_clip has no built-in ViT-B-32 config")
    torch.manual_seed(seed)
    model = open_clip.create_model("ViT-B-32", pretrained=None)
    state = {k: v.detach().to(getattr(torch, dtype)).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "open_clip_model.safetensors"))
    config = {
        "model_cfg": model_cfg,
        "preprocess_cfg": {
            "mean": list(_OPENAI_MEAN),
            "std": list(_OPENAI_STD),
            "interpolation": "bicubic",
            "resize_mode": "shortest",
        },
    }
    (folder / "open_clip_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    (folder / MARKER).write_text(json.dumps(_marker("ViT-B-32", dtype, seed), indent=2) + "\n", encoding="utf-8")
    return folder


# TAESD (madebyollin/taesd) is diffusers' AutoencoderTiny with its default configuration
# (diffusers docs, AutoencoderTiny; the published config.json of its sibling taef1 differs
# only in latent_channels 16): encoder/decoder blocks 64 channels x 4 levels, 1/3/3/3
# encoder and 3/3/3/1 decoder blocks, ReLU, nearest upsampling x2, 4 latent channels,
# latent_magnitude 3, latent_shift 0.5, scaling_factor 1.0.
TAESD = {
    "in_channels": 3,
    "out_channels": 3,
    "encoder_block_out_channels": (64, 64, 64, 64),
    "decoder_block_out_channels": (64, 64, 64, 64),
    "act_fn": "relu",
    "upsample_fn": "nearest",
    "latent_channels": 4,
    "upsampling_scaling_factor": 2,
    "num_encoder_blocks": (1, 3, 3, 3),
    "num_decoder_blocks": (3, 3, 3, 1),
    "latent_magnitude": 3,
    "latent_shift": 0.5,
    "force_upcast": False,
    "scaling_factor": 1.0,
}


def build_sd_turbo_taesd(folder: Path, *, dtype: str = "float32", seed: int = SEED) -> Path:
    """sd-turbo-taesd's layout: sd-turbo's files (hard links to ``../sd-turbo/``, built there first
    if needed; vae/ left out) and TAESD's architecture with random weights in ``taesd/``."""
    import os

    torch, _, diffusers, _, _ = _imports()
    base = folder.parent / "sd-turbo"
    if not _already_built(base, "sd-turbo", dtype, seed):
        build_sd_turbo(base, dtype=dtype, seed=seed)
    _fresh(folder)
    folder.rmdir()

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:  # another file system: copy
            shutil.copy2(src, dst)

    shutil.copytree(base, folder, copy_function=link, ignore=shutil.ignore_patterns("vae", MARKER))
    torch.manual_seed(seed + 1)
    taesd = diffusers.AutoencoderTiny(**TAESD)
    if dtype != "float32":
        taesd.to(getattr(torch, dtype))
    taesd.save_pretrained(str(folder / "taesd"), safe_serialization=True)
    (folder / MARKER).write_text(json.dumps(_marker("sd-turbo-taesd", dtype, seed), indent=2) + "\n",
                                 encoding="utf-8")
    return folder


_BUILDERS = {"sd-turbo": build_sd_turbo, "ViT-B-32": build_vit_b_32, "sd-turbo-taesd": build_sd_turbo_taesd}


def build_real_arch(
    directory: str | Path,
    *,
    which: Sequence[str] = SUPPORTED,
    dtype: str = "float32",
    seed: int = SEED,
    force: bool = False,
) -> Path:
    """Write the named real architectures (random weights) as DIR/<name>/; returns DIR.

    ``dtype`` is the dtype of the weight files (float32 matches the registry's
    repo files; the loaders cast to the device's dtype either way).  A folder
    already built with the same name, dtype and seed is kept unless ``force``.
    """
    unknown = [w for w in which if w not in _BUILDERS]
    if unknown:
        raise SemError(f"no real-architecture builder for {', '.join(unknown)}; known: {', '.join(SUPPORTED)}")
    if dtype not in DTYPES:
        raise SemError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    from ..backends.diffusers_gen import quiet_progress

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    with quiet_progress():
        for name in which:
            folder = root / name
            if not force and _already_built(folder, name, dtype, seed):
                continue
            _BUILDERS[name](folder, dtype=dtype, seed=seed)
    return root


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m semcodec.bench.random_weights DIR", file=sys.stderr)
        return 2
    print(build_real_arch(args[0]))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
