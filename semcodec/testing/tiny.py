"""Tiny, randomly initialised models in the real libraries' own layouts, for tests.

``python -m semcodec.testing.tiny DIR`` (or :func:`build_tiny_models`) writes

- ``DIR/ViT-B-32/`` and ``DIR/ViT-L-14/``: open_clip models (tiny ViT, width 64,
  2 layers, 32 px images; the real CLIP BPE tokenizer, 77-token context) saved
  as ``open_clip_config.json`` + ``open_clip_model.safetensors``, the layout of
  the hub repos, loaded by ``semcodec.backends.clip.load_critic``;
- ``DIR/sd-turbo/``: a diffusers ``StableDiffusionPipeline`` (tiny UNet, VAE and
  CLIP text encoder, the real CLIP vocabulary, Euler scheduler) saved with
  ``save_pretrained``;
- ``DIR/sdxl-turbo/``: the same for ``StableDiffusionXLPipeline`` (two text
  encoders, text-time conditioning, Euler-ancestral scheduler);
- ``DIR/sd-turbo-taesd/``: the sd-turbo pipeline without vae/ and a tiny random
  ``AutoencoderTiny`` in ``taesd/`` (``save_pretrained`` layout, as the
  madebyollin/taesd repo holds it).

The pipelines are built for 64x64 images: their folder holds ``semcodec.json``
with ``{"tiny": true, "width": 64, "height": 64}``.  The production loader never
reads it (a decoder's native size is registry data); a test harness passes
:func:`render_size` to ``load_generator(..., size=)`` (tests/conftest.py does).  Weights are random (fixed
torch seed), so images are noise and CLIP scores meaningless; the tests check
plumbing, shapes, determinism and limits, not quality.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..bench.random_weights import CLIP_VOCAB_SIZE, clip_vocab  # noqa: F401  (re-exported)
from ..errors import MissingError

TINY_SIZE = 64  # pixels, pipelines' native output size
TINY_CLIP_IMAGE = 32
_SEED = 1234
_NAMES = ("ViT-B-32", "ViT-L-14", "sd-turbo", "sdxl-turbo", "sd-turbo-taesd")
_OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
_OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def _imports() -> Any:
    try:
        import diffusers
        import open_clip
        import torch
        import transformers
        from safetensors.torch import save_file
    except ImportError as exc:
        raise MissingError(f"building tiny models needs {exc.name}; pip install 'semcodec[local]'") from None
    return torch, open_clip, diffusers, transformers, save_file


def _clip_tokenizer(transformers: Any) -> Any:
    vocab, merges = clip_vocab()
    return transformers.CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


# ---------------------------------------------------------------------------
# open_clip critics
# ---------------------------------------------------------------------------


def _tiny_open_clip_config() -> dict[str, Any]:
    return {
        "model_cfg": {
            "embed_dim": 32,
            "vision_cfg": {"image_size": TINY_CLIP_IMAGE, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
            "text_cfg": {"context_length": 77, "vocab_size": CLIP_VOCAB_SIZE, "width": 64, "heads": 2, "layers": 2},
        },
        "preprocess_cfg": {
            "mean": list(_OPENAI_MEAN),
            "std": list(_OPENAI_STD),
            "interpolation": "bicubic",
            "resize_mode": "shortest",
        },
    }


def build_tiny_clip(folder: Path, *, seed: int = _SEED) -> Path:
    torch, open_clip, _, _, save_file = _imports()
    folder.mkdir(parents=True, exist_ok=True)
    config = _tiny_open_clip_config()
    torch.manual_seed(seed)
    model = open_clip.CLIP(**config["model_cfg"])
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "open_clip_model.safetensors"))
    (folder / "open_clip_config.json").write_text(json.dumps(config, indent=2) + "\n")
    return folder


# ---------------------------------------------------------------------------
# diffusers pipelines
# ---------------------------------------------------------------------------


def _text_config(transformers: Any, hidden: int) -> Any:
    return transformers.CLIPTextConfig(
        vocab_size=CLIP_VOCAB_SIZE,
        hidden_size=hidden,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=32,
        hidden_act="gelu",
        bos_token_id=49406,
        eos_token_id=49407,
        pad_token_id=49407,
    )


def _tiny_vae(diffusers: Any) -> Any:
    # 4 levels -> vae_scale_factor 8, as in Stable Diffusion: 64 px <-> 8x8 latents
    return diffusers.AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 16, 16, 16),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=TINY_SIZE,
    )


def _scheduler(diffusers: Any, name: str) -> Any:
    return getattr(diffusers, name)(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        prediction_type="epsilon",
        timestep_spacing="trailing",
        steps_offset=1,
    )


def _write_marker(folder: Path) -> None:
    marker = {"tiny": True, "width": TINY_SIZE, "height": TINY_SIZE}
    (folder / "semcodec.json").write_text(json.dumps(marker) + "\n")


def build_tiny_sd(folder: Path, *, seed: int = _SEED) -> Path:
    torch, _, diffusers, transformers, _ = _imports()
    torch.manual_seed(seed)
    unet = diffusers.UNet2DConditionModel(
        sample_size=TINY_SIZE // 8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(16, 32),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=(2, 4),
        norm_num_groups=8,
        use_linear_projection=True,
    )
    pipe = diffusers.StableDiffusionPipeline(
        vae=_tiny_vae(diffusers),
        text_encoder=transformers.CLIPTextModel(_text_config(transformers, 32)),
        tokenizer=_clip_tokenizer(transformers),
        unet=unet,
        scheduler=_scheduler(diffusers, "EulerDiscreteScheduler"),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(str(folder), safe_serialization=True)
    _write_marker(folder)
    return folder


def build_tiny_sdxl(folder: Path, *, seed: int = _SEED) -> Path:
    torch, _, diffusers, transformers, _ = _imports()
    torch.manual_seed(seed)
    time_dim = 8
    unet = diffusers.UNet2DConditionModel(
        sample_size=TINY_SIZE // 8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(16, 32),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=time_dim,
        transformer_layers_per_block=(1, 1),
        projection_class_embeddings_input_dim=6 * time_dim + 32,  # 6 size/crop ids + pooled text (32)
        cross_attention_dim=64,  # 32 (text_encoder) + 32 (text_encoder_2) concatenated
        norm_num_groups=8,
    )
    pipe = diffusers.StableDiffusionXLPipeline(
        vae=_tiny_vae(diffusers),
        text_encoder=transformers.CLIPTextModel(_text_config(transformers, 32)),
        text_encoder_2=transformers.CLIPTextModelWithProjection(_text_config(transformers, 32)),
        tokenizer=_clip_tokenizer(transformers),
        tokenizer_2=_clip_tokenizer(transformers),
        unet=unet,
        scheduler=_scheduler(diffusers, "EulerAncestralDiscreteScheduler"),
        add_watermarker=False,
    )
    pipe.save_pretrained(str(folder), safe_serialization=True)
    _write_marker(folder)
    return folder


def build_tiny_sd_taesd(folder: Path, *, seed: int = _SEED) -> Path:
    """sd-turbo-taesd's layout: the tiny sd-turbo pipeline without its vae/ (as `semmodels download`
    leaves it) and a tiny random AutoencoderTiny saved with ``save_pretrained`` in ``taesd/``."""
    import shutil

    torch, _, diffusers, _, _ = _imports()
    build_tiny_sd(folder, seed=seed)
    shutil.rmtree(folder / "vae")  # the loader must not need the base repo's VAE
    torch.manual_seed(seed + 2)
    taesd = diffusers.AutoencoderTiny(  # the TAESD shape, narrower: 4 levels -> scale factor 8, 4 latent channels
        encoder_block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        num_encoder_blocks=(1, 1, 1, 1),
        num_decoder_blocks=(1, 1, 1, 1),
        latent_channels=4,
    )
    taesd.save_pretrained(str(folder / "taesd"), safe_serialization=True)
    return folder


def render_size(folder: str | Path) -> tuple[int, int] | None:
    """The size a tiny pipeline in ``folder`` was built for, from its marker; None for any other folder."""
    try:
        marker = json.loads((Path(folder) / "semcodec.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("tiny") is not True:
        return None
    return int(marker["width"]), int(marker["height"])


def build_tiny_models(directory: str | Path, *, names: tuple[str, ...] = _NAMES) -> Path:
    """Write the tiny models named in ``names`` under ``directory`` (DIR/<name>/); returns DIR."""
    from ..backends.diffusers_gen import quiet_progress

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    builders = {
        "ViT-B-32": lambda f: build_tiny_clip(f, seed=_SEED),
        "ViT-L-14": lambda f: build_tiny_clip(f, seed=_SEED + 1),
        "sd-turbo": build_tiny_sd,
        "sdxl-turbo": build_tiny_sdxl,
        "sd-turbo-taesd": build_tiny_sd_taesd,
    }
    with quiet_progress():
        for name in names:
            builders[name](root / name)
    return root


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m semcodec.testing.tiny DIR", file=sys.stderr)
        return 2
    root = build_tiny_models(args[0])
    print(root)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
