"""Registries as data: decoders, prompt codecs, critics and describers.

Numeric IDs are written into ``.sem`` files.  **An ID, once published, never
changes meaning**: entries are only ever added, never renumbered or reused, and
IDs are written here explicitly (never derived from order).  A retired model
keeps its entry so old files stay readable.  spec/sem-v1.md section 6 mirrors
the ID tables; tests check the two agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .errors import FormatError, SemError, UnsupportedError

# ---------------------------------------------------------------------------
# The shape every model entry shares.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Entry:
    """What every model entry (decoder, critic, describer) says, under the same names.

    ``family`` picks the loader; ``source`` is where the weights or the model
    come from (a hub repo id, ``package:<path>``, an API model name);
    ``revision`` the pinned hub commit (None for API and built-in entries);
    ``files`` the repo files fetched (empty: the family's defaults);
    ``retired`` the ISO date the provider shut the model down or will.
    """

    name: str
    family: str
    description: str
    source: str | None = None
    revision: str | None = None
    files: tuple[str, ...] = ()
    retired: str | None = None


# ---------------------------------------------------------------------------
# Decoders (text -> image).  ID is a varint in the file.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DecoderSpec(Entry):
    id: int
    # family: "diffusers" | "openai" | "synthetic" (GENERATOR_LOADERS)
    # source: diffusers: hub repo id; openai: API model name; revision: diffusers: pinned hub commit
    deterministic: bool  # same prompt + seed -> same pixels (given versions and device class)
    token_limit: int | None = None  # text-encoder context in tokens (incl. BOS/EOS), None = no limit
    width: int = 512  # native output size
    height: int = 512
    params: Mapping[str, Any] = field(default_factory=dict)  # family-specific fixed settings

    @property
    def takes_seed(self) -> bool:
        return self.deterministic


# Fixed settings of the local diffusers decoders.  Changing any of them changes
# the pixels an old file decodes to, so they are part of the decoder's identity.
# One set of fp32 weight files serves every device (no fp16 "variant" files):
# on a GPU the weights are cast to dtype_gpu at load time.  sdxl-turbo's
# scheduler is the one its repo ships at the pinned revision (model_index.json).
# At one step (sigma_to = 0) Euler-ancestral adds noise * 0 and equals plain
# Euler pixel for pixel (tests/test_backends_diffusers.py checks this).
_SD_TURBO_PARAMS = MappingProxyType(
    {
        "pipeline": "AutoPipelineForText2Image",
        "scheduler": "EulerDiscreteScheduler",
        "timestep_spacing": "trailing",
        "steps": 1,
        "guidance_scale": 0.0,
        "dtype_gpu": "float16",
        "dtype_cpu": "float32",
    }
)

_SDXL_TURBO_PARAMS = MappingProxyType({**_SD_TURBO_PARAMS, "scheduler": "EulerAncestralDiscreteScheduler"})

DECODERS: tuple[DecoderSpec, ...] = (
    DecoderSpec(
        id=1,
        name="sd-turbo",
        family="diffusers",
        deterministic=True,
        description="Stability AI SD-Turbo (SD 2.1 distilled), 512x512, 1 step, guidance 0; local, seeded",
        source="stabilityai/sd-turbo",
        revision="b261bac6fd2cf515557d5d0707481eafa0485ec2",
        token_limit=77,
        width=512,
        height=512,
        params=_SD_TURBO_PARAMS,
    ),
    DecoderSpec(
        id=2,
        name="sdxl-turbo",
        family="diffusers",
        deterministic=True,
        description="Stability AI SDXL-Turbo, 512x512, 1 step, guidance 0; local, seeded",
        source="stabilityai/sdxl-turbo",
        revision="71153311d3dbb46851df1931d3ca6e939de83304",
        token_limit=77,
        width=512,
        height=512,
        params=_SDXL_TURBO_PARAMS,
    ),
    DecoderSpec(
        id=3,
        name="dalle3",
        family="openai",
        deterministic=False,
        description="OpenAI DALL-E 3 (retired by OpenAI 2026-05-12; kept for compatible endpoints)",
        source="dall-e-3",
        width=1024,
        height=1024,
        params=MappingProxyType(
            {"shape": "dalle", "size": "1024x1024", "quality": "hd", "style": "natural", "response_format": "b64_json"}
        ),
        retired="2026-05-12",
    ),
    DecoderSpec(
        id=4,
        name="gpt-image-1",
        family="openai",
        deterministic=False,
        description="OpenAI gpt-image-1 (retired by OpenAI 2026-10-23; kept for compatible endpoints)",
        source="gpt-image-1",
        width=1024,
        height=1024,
        params=MappingProxyType({"shape": "gpt-image", "size": "1024x1024", "quality": "high"}),
        retired="2026-10-23",
    ),
    DecoderSpec(
        id=5,
        name="gpt-image-1-mini",
        family="openai",
        deterministic=False,
        description="OpenAI gpt-image-1-mini (OpenAI shuts it down 2026-12-01)",
        source="gpt-image-1-mini",
        width=1024,
        height=1024,
        params=MappingProxyType({"shape": "gpt-image", "size": "1024x1024", "quality": "medium"}),
        retired="2026-12-01",
    ),
    DecoderSpec(
        id=6,
        name="gpt-image-1.5",
        family="openai",
        deterministic=False,
        description="OpenAI gpt-image-1.5 (OpenAI shuts it down 2026-12-01)",
        source="gpt-image-1.5",
        width=1024,
        height=1024,
        params=MappingProxyType({"shape": "gpt-image", "size": "1024x1024", "quality": "high"}),
        retired="2026-12-01",
    ),
    DecoderSpec(
        id=7,
        name="gpt-image-2",
        family="openai",
        deterministic=False,
        description="OpenAI gpt-image-2 (current image model family; snapshot gpt-image-2-2026-04-21)",
        source="gpt-image-2",
        width=1024,
        height=1024,
        params=MappingProxyType({"shape": "gpt-image", "size": "1024x1024", "quality": "high"}),
    ),
    DecoderSpec(
        id=8,
        name="world-v1",
        family="synthetic",
        deterministic=True,
        description="synthetic procedural renderer of the offline verification world (semcodec/world), "
        "128x128, seeded; for verification only, never for photographs",
        source=None,
        token_limit=None,
        width=128,
        height=128,
        params=MappingProxyType({"vocab": "semcodec/world/data/vocab.json"}),
    ),
    # sd-turbo's UNet, text encoder, tokenizer and scheduler (the sd-turbo repo at
    # sd-turbo's revision, same settings) with the VAE decoder replaced by TAESD, the
    # tiny distilled autoencoder (diffusers AutoencoderTiny, its default config:
    # 64-channel blocks, 3/3/3/1 decoder blocks, 4 latent channels, scaling factor 1),
    # for receivers without a GPU.  Its pixels differ from sd-turbo's, hence its own ID:
    # rendering an sd-turbo file with it is a preview, not the encoder's picture.
    # TAESD's revision is the hub commit seen in Hugging Face cache paths of public
    # code (models--madebyollin--taesd/snapshots/614f7681...); the hub was not
    # reachable here to confirm it.  Model folder: DIR/sd-turbo-taesd/ holds the
    # sd-turbo files (its vae/ weights are not needed) and taesd/ the TAESD repo's
    # config.json + diffusion_pytorch_model.safetensors.  fp32 on the CPU, channels-last
    # memory layout there (measured in bench/results/speed-cpu.md).
    DecoderSpec(
        id=9,
        name="sd-turbo-taesd",
        family="diffusers",
        deterministic=True,
        description="SD-Turbo's UNet and text encoder with the TAESD tiny autoencoder as VAE decoder, "
        "512x512, 1 step, guidance 0; local, seeded; fast CPU decode (a preview of sd-turbo files)",
        source="stabilityai/sd-turbo",
        revision="b261bac6fd2cf515557d5d0707481eafa0485ec2",
        token_limit=77,
        width=512,
        height=512,
        params=MappingProxyType(
            {
                **_SD_TURBO_PARAMS,
                "vae": "AutoencoderTiny",
                "vae_source": "madebyollin/taesd",
                "vae_revision": "614f76814bbe30edbe2e627ace1c2234c81a2c0e",
                "vae_subfolder": "taesd",
                "preview_of": "sd-turbo",
                "cpu_channels_last": False,
            }
        ),
    ),
    # OpenAI's image models of 2026-11 (image generation guide and deprecations
    # page, read 2026-12-06: the recommended replacements of gpt-image-1-mini
    # and gpt-image-1.5).  Flare is the fast tier, Sunburst the detail tier.
    DecoderSpec(
        id=10,
        name="gpt-image-2.6-flare",
        family="openai",
        deterministic=False,
        description="OpenAI gpt-image-2.6-flare (released 2026-11-04; fast tier), 1024x1024, quality high",
        source="gpt-image-2.6-flare",
        width=1024,
        height=1024,
        params=MappingProxyType({"shape": "gpt-image", "size": "1024x1024", "quality": "high"}),
    ),
    DecoderSpec(
        id=11,
        name="gpt-image-2.6-sunburst",
        family="openai",
        deterministic=False,
        description="OpenAI gpt-image-2.6-sunburst (released 2026-11-04; detail tier), 1024x1024, quality high",
        source="gpt-image-2.6-sunburst",
        width=1024,
        height=1024,
        params=MappingProxyType({"shape": "gpt-image", "size": "1024x1024", "quality": "high"}),
    ),
)

DEFAULT_DECODER = "sd-turbo"

# ---------------------------------------------------------------------------
# Prompt codecs (structured prompt <-> payload bytes).  ID is a varint.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptCodecSpec:
    id: int
    name: str
    module: str  # semcodec.promptcodec.<module>: encode(prompt) -> bytes, decode(bytes) -> Prompt
    description: str
    # Typical canonical-text bytes per payload byte on the held-out prompts
    # (bench/results/rate.md): steers how long the describer is asked to write.
    text_per_payload_byte: float = 1.9


PROMPT_CODECS: tuple[PromptCodecSpec, ...] = (
    PromptCodecSpec(
        id=1,
        name="zstd-dict-v1",
        module="zstd_dict",
        description="msgpack array [scene, objects, lighting(, style)], zstd level 19, magic-less frame, "
        "dictionary semcodec/promptcodec/data/zstd-dict-v1.bin",
    ),
    PromptCodecSpec(
        id=2,
        name="lm-ac-v1",
        module="lm_ac",
        text_per_payload_byte=4.3,
        description="static word-level model (orders 2/1/0 per field, general English table, spelling escape) "
        "and a 56-bit range coder; model semcodec/promptcodec/data/lm-ac-v1.bin (spec/promptcodec-lm-ac-v1.md)",
    ),
    PromptCodecSpec(
        id=3,
        name="lm-ac-v2",
        module="lm_ac_v2",
        text_per_payload_byte=5.5,
        description="the lm-ac-v1 procedure with a model trained on 17k LLM-written prompts; "
        "model semcodec/promptcodec/data/lm-ac-v2.bin.zlib (spec/promptcodec-lm-ac-v2.md)",
    ),
    PromptCodecSpec(
        id=4,
        name="lm-ac-v3",
        module="lm_ac_v3",
        text_per_payload_byte=6.0,
        description="each token from a mixture of an integer feed-forward network (the field's last 3 tokens, "
        "the field, the position, the prompt's mean embedding) and lm-ac-v2-style count tables trained on 25k prompts; "
        "models semcodec/promptcodec/data/lm-ac-v3.bin.zlib and lm-ac-v3-ngram.bin.zlib (spec/promptcodec-lm-ac-v3.md)",
    ),
    PromptCodecSpec(
        id=5,
        name="lm-ac-v4",
        module="lm_ac_v4",
        text_per_payload_byte=6.5,
        description="the lm-ac-v3 procedure with models trained on more written prompts, the network's weight in the "
        "mixture set by the count chain's first table, and a range-coder tail that relies on the payload's framing; "
        "models semcodec/promptcodec/data/lm-ac-v4.bin.zlib and lm-ac-v4-ngram.bin.zlib (spec/promptcodec-lm-ac-v4.md)",
    ),
    PromptCodecSpec(
        id=6,
        name="lm-ac-v5",
        module="lm_ac_v5",
        text_per_payload_byte=6.7,
        description="the lm-ac-v4 procedure with two networks (two seeds, one vocabulary) averaged, and all three "
        "models trained on every written prompt but a tuning set of two whole parts; models "
        "semcodec/promptcodec/data/lm-ac-v5.bin.zlib, lm-ac-v5b.bin.zlib and lm-ac-v5-ngram.bin.zlib "
        "(spec/promptcodec-lm-ac-v5.md)",
    ),
    PromptCodecSpec(
        id=7,
        name="lm-ac-v6",
        module="lm_ac_v6",
        text_per_payload_byte=6.7,
        description="the lm-ac-v5 procedure with each word's case coded by the word's own case in the training "
        "text (a hint per token) as well as the field and the previous word's case; models those of lm-ac-v5 and "
        "semcodec/promptcodec/data/lm-ac-v6-case.bin.zlib (spec/promptcodec-lm-ac-v6.md)",
    ),
)

DEFAULT_PROMPT_CODEC = "lm-ac-v2"


# Which function loads a decoder of each family, as "module:function" (resolved
# only when a decoder is loaded, so the registry imports nothing heavy and the
# backends never import the users of their interfaces, such as semcodec.world).
GENERATOR_LOADERS: Mapping[str, str] = MappingProxyType(
    {
        "diffusers": "semcodec.backends.diffusers_gen:load_generator",
        "openai": "semcodec.backends.openai_image:load_generator",
        "synthetic": "semcodec.world.generator:load_generator",
    }
)


# Which function loads a critic of each family (same form as GENERATOR_LOADERS).
CRITIC_LOADERS: Mapping[str, str] = MappingProxyType(
    {
        "open_clip": "semcodec.backends.clip:load_critic",
        "world-graph": "semcodec.world.graph_critic:load_critic",
    }
)


# Which function loads a describer of each family (same form as GENERATOR_LOADERS).
DESCRIBER_LOADERS: Mapping[str, str] = MappingProxyType(
    {
        "openai": "semcodec.backends.openai_text:load_describer",
        "transformers": "semcodec.backends.local_vlm:load_describer",
        "interrogator": "semcodec.backends.interrogator:load_describer",
        "world-seer": "semcodec.world.seer:load_describer",
    }
)


def resolve_loader(target: str):
    """``"module:function"`` -> the function."""
    import importlib

    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


# ---------------------------------------------------------------------------
# Lookup helpers shared by every table.
# ---------------------------------------------------------------------------


def _check_table(table: tuple, what: str) -> None:
    ids = [e.id for e in table]
    names = [e.name for e in table]
    if len(set(ids)) != len(ids) or len(set(names)) != len(names):
        raise AssertionError(f"duplicate {what} id or name")  # programming error, caught by tests


_check_table(DECODERS, "decoder")
_check_table(PROMPT_CODECS, "prompt codec")


def _by_id(table: tuple, ident: int, what: str):
    if ident == 0:  # spec 6.1/6.2: reserved and invalid in every version, not "newer"
        raise FormatError(f"invalid {what} ID 0 (reserved)")
    for entry in table:
        if entry.id == ident:
            return entry
    raise UnsupportedError(f"unknown {what} ID {ident}: the file needs a newer semcodec")


def _by_name(table: tuple, name: str, what: str):
    for entry in table:
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in table)
    raise SemError(f"unknown {what} {name!r}; known: {known}")


def decoder_by_id(ident: int) -> DecoderSpec:
    return _by_id(DECODERS, ident, "decoder")


def decoder_by_name(name: str) -> DecoderSpec:
    return _by_name(DECODERS, name, "decoder")


def prompt_codec_by_id(ident: int) -> PromptCodecSpec:
    return _by_id(PROMPT_CODECS, ident, "prompt codec")


def prompt_codec_by_name(name: str) -> PromptCodecSpec:
    return _by_name(PROMPT_CODECS, name, "prompt codec")


def decoder_names() -> list[str]:
    return [d.name for d in DECODERS]


def prompt_codec_names() -> list[str]:
    return [c.name for c in PROMPT_CODECS]


# ---------------------------------------------------------------------------
# Critics (CLIP models that score).  Not written into files, so no numeric IDs.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CriticSpec(Entry):
    # name: the model folder is DIR/<name>/; source: hub repo id (or package:<path>); revision: pinned
    # hub commit; files: fetched from the repo (open_clip layout)
    family: str = "open_clip"
    role: str  # "critic" (drives the encoder) | "judge" (held out, for evaluation only)
    arch: str  # open_clip architecture name
    pretrained: str  # open_clip pretrained tag the weights correspond to
    image_size: int
    preprocess: str  # what the image goes through before the model
    vocabulary: str = "photo"  # the interrogator's vocabulary with this critic, unless the caller names another
    # how much a round's acceptance score must beat the best's before the encoder takes it (its scale is
    # the critic's own: EncoderConfig(margin=None) uses this)
    accept_margin: float = 0.01


_OPENAI_PREPROCESS = (
    "RGB, resize shortest side to {n} (bicubic), centre crop {n}x{n}, "
    "normalise with OpenAI CLIP mean/std; text: CLIP BPE, 77-token context, lower-cased"
)

CRITICS: tuple[CriticSpec, ...] = (
    CriticSpec(
        name="ViT-B-32",
        role="critic",
        arch="ViT-B-32",
        pretrained="laion2b_s34b_b79k",
        source="laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        revision="1a25a446712ba5ee05982a381eed697ef9b435cf",
        files=("open_clip_config.json", "open_clip_model.safetensors"),
        image_size=224,
        preprocess=_OPENAI_PREPROCESS.format(n=224),
        description="OpenCLIP ViT-B/32 trained on LAION-2B (34B samples): cheap enough to score "
        "N*K renders per image, GELU as open_clip's ViT-B-32 config, safetensors weights",
    ),
    CriticSpec(
        name="ViT-L-14",
        role="judge",
        arch="ViT-L-14",
        pretrained="datacomp_xl_s13b_b90k",
        source="laion/CLIP-ViT-L-14-DataComp.XL-s13B-b90K",
        revision="84c9828e63dc9a9351d1fe637c346d4c1c4db341",
        files=("open_clip_config.json", "open_clip_pytorch_model.bin"),
        image_size=224,
        preprocess=_OPENAI_PREPROCESS.format(n=224),
        description="OpenCLIP ViT-L/14 trained on DataComp-1B: held-out judge of another size, "
        "patch size and training set than the critic and the decoders' text encoders",
    ),
    # The synthetic world's tiny CLIPs (verification only): weights ship inside
    # the package ("package:" source, resolved by semcodec.models), trained by
    # tools/train_world_clip.py (log: <folder>/train-log.txt).
    CriticSpec(
        name="world-clip",
        role="critic",
        arch="custom (open_clip_config.json): ViT 64px/8, width 64, 3 layers; text width 32, 2 layers, 40 tokens",
        pretrained="semcodec-world-v1",
        source="package:semcodec/world/data/world-clip",
        revision="e5ba2cb2a38e0c3c4d2bcc2feff8ff38c8219963",  # sha1 of the shipped weights file
        files=("open_clip_config.json", "open_clip_model.safetensors"),
        image_size=64,
        preprocess=_OPENAI_PREPROCESS.format(n=64).replace("77-token", "40-token"),
        description="tiny CLIP trained on the synthetic world (semcodec/world) only: the world-v1 demonstration's critic",
        vocabulary="world",
    ),
    CriticSpec(
        name="world-judge",
        role="judge",
        arch="custom (open_clip_config.json): ModifiedResNet 64px, width 8; text width 32, 2 layers, 40 tokens",
        pretrained="semcodec-world-v1",
        source="package:semcodec/world/data/world-judge",
        revision="443b1253858dc125e80f4979b4b44251571fc193",  # sha1 of the shipped weights file
        files=("open_clip_config.json", "open_clip_model.safetensors"),
        image_size=64,
        preprocess=_OPENAI_PREPROCESS.format(n=64).replace("77-token", "40-token"),
        description="tiny CLIP of another architecture, seed and training sample: the world-v1 demonstration's held-out judge",
        vocabulary="world",
    ),
    # The synthetic world's binding critic: a network of the world-seer architecture (another seed and
    # training sample than the describer's) as image tower, the world grammar as text tower, both into
    # one scene-graph space (semcodec/world/graph_critic.py); trained by tools/train_world_seer.py.
    CriticSpec(
        name="world-graph",
        role="critic",
        family="world-graph",
        arch="custom (config.json): world-seer CNN 128px (6 conv layers, 8x8 object cells, 48 slot heads) as image "
             "tower; the world grammar (parse_text) as text tower; 306-dim scene-graph embedding",
        pretrained="semcodec-world-v1",
        source="package:semcodec/world/data/world-graph",
        revision="038b52a21c05bc283e559b709d0217be693d78b2",  # sha1 of the shipped weights file
        files=("config.json", "model.safetensors"),
        image_size=128,
        preprocess="RGB, resize to 128x128 (bicubic) if needed, 0..1; text: the world grammar, no token limit",
        description="scene-graph critic of the synthetic world (semcodec/world) only: binds attributes "
                    "(tools/world_binding.py); the world-v1 demonstration's default critic",
        vocabulary="world",
        # as accurate as the describer it checks (counts ~85% both): it overrules only on a clear win;
        # chosen on development scenes (seed 5150, README "Offline demonstration")
        accept_margin=0.1,
    ),
)

DEFAULT_CRITIC = "ViT-B-32"
DEFAULT_WORLD_CRITIC = "world-graph"
DEFAULT_JUDGE = "ViT-L-14"
_CRITIC_ROLES = {"critic": DEFAULT_CRITIC, "judge": DEFAULT_JUDGE}

if len({c.name for c in CRITICS}) != len(CRITICS) or not {DEFAULT_CRITIC, DEFAULT_JUDGE} <= {c.name for c in CRITICS}:
    raise AssertionError("duplicate or missing critic name")  # programming error, caught by tests


def critic_by_name(name: str) -> CriticSpec:
    """A critic entry by name; the role names "critic" and "judge" pick the defaults."""
    return _by_name(CRITICS, _CRITIC_ROLES.get(name, name), "critic")


def critic_names() -> list[str]:
    return [c.name for c in CRITICS]


# Vocabularies of the LLM-free interrogator, by name: data files inside the
# package.  The caller (semenc --vocab, a critic entry's ``vocabulary``) picks one.
VOCABULARIES: Mapping[str, str] = MappingProxyType(
    {
        "photo": "backends/data/photo-vocab-v1.json",  # written for this project (PHOTO-VOCAB-NOTICE.md)
        "world": "world/data/vocab.json",  # the synthetic world's grammar
    }
)


def vocabulary_file(name_or_path: str | os.PathLike) -> Path:
    """A vocabulary name in ``VOCABULARIES`` or a file path -> the file."""
    rel = VOCABULARIES.get(str(name_or_path))
    return Path(__file__).resolve().parent / rel if rel is not None else Path(name_or_path)


def accept_margin(critic_name: str | None) -> float:
    """The acceptance margin a critic's entry names (0.01 for a critic the registry does not know)."""
    for c in CRITICS:
        if c.name == critic_name:
            return c.accept_margin
    return 0.01


def vocabulary_for(critic_name: str | None) -> str:
    """The vocabulary a critic's entry names (``photo`` for a name the registry does not know)."""
    for c in CRITICS:
        if c.name == critic_name:
            return c.vocabulary
    return "photo"


# ---------------------------------------------------------------------------
# Describers (image -> structured prompts).  Not written into files, so no IDs.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DescriberSpec(Entry):
    # name: what --describer takes; family: "openai" | "transformers" | "interrogator" | "world-seer";
    # source/revision: a local model's hub repo id and pinned commit
    kind: str  # "api" | "local"
    model: str  # default model: API model name, hub repo id for a local model, critic for the interrogator
    notes: str = ""


DESCRIBERS: tuple[DescriberSpec, ...] = (
    DescriberSpec(
        name="openai",
        kind="api",
        family="openai",
        model="gpt-6-luna",
        description="OpenAI vision model with structured outputs (strict json_schema), through the Responses API "
        "or Chat Completions; gpt-6-luna is a reasoning model: reasoning effort low, no temperature",
        notes="needs OPENAI_API_KEY (and optionally OPENAI_BASE_URL); the image (and, when refining, the best "
        "render) is sent downscaled to <= 512 px; shutdown dates of every text model: TEXT_MODELS (read 2026-12-06)",
    ),
    DescriberSpec(
        name="local-vlm",
        kind="local",
        family="transformers",
        model="Qwen/Qwen3-VL-2B-Instruct",
        description="Qwen3-VL-2B-Instruct through transformers (Qwen3VLForConditionalGeneration, no remote code): "
        "2B parameters, Apache-2.0, follows JSON instructions; bf16/fp16 on GPU, fp32 on CPU",
        source="Qwen/Qwen3-VL-2B-Instruct",
        revision="89644892e4d85e24eaac8bacfd4f463576704203",
        notes="weights ~4.3 GB: `semmodels download local-vlm` or --model-dir DIR holding local-vlm/; "
        "the image is sent downscaled to <= 512 px (<= 256 vision tokens); sampled answers are seeded",
    ),
    DescriberSpec(
        name="interrogator",
        kind="local",
        family="interrogator",
        model="ViT-B-32",
        description="LLM-free CLIP interrogator: beam search over vocabulary phrases scored by a CLIP critic; "
        "refines by local edits (add, drop, swap a phrase)",
        notes="scores with the encoder's critic (--describer-model names another); vocabulary --vocab NAME|FILE: "
        "'photo' (semcodec/backends/data/photo-vocab-v1.json, the default for real CLIPs) or 'world' (the "
        "synthetic world's, the default for the world-* critics)",
    ),
    # The synthetic world's describer that sees the picture (the world's stand-in for a VLM):
    # weights inside the package, trained by tools/train_world_seer.py (log, metrics next to them).
    DescriberSpec(
        name="world-seer",
        kind="local",
        family="world-seer",
        model="world-seer",
        source="package:semcodec/world/data/world-seer",
        revision="73b70a28c4ca6b26f4f1f1e1e2c4a7785fa82a47",  # sha1 of the shipped weights file
        files=("config.json", "model.safetensors"),
        description="world-seer: a small CNN (semcodec/world/seer.py) that reads a world picture into its scene "
        "graph (scene, lighting, count and size of each of the 48 colour x shape slots); describes with its M most "
        "probable scene graphs, refines by changing the parts it is least sure of",
        notes="synthetic world only (world-v1 demonstration); CPU, no critic; held-out accuracy in "
        "semcodec/world/data/world-seer/metrics.json",
    ),
)

DEFAULT_DESCRIBER = "openai"

if len({d.name for d in DESCRIBERS}) != len(DESCRIBERS):
    raise AssertionError("duplicate describer name")  # programming error, caught by tests


def describer_by_name(name: str) -> DescriberSpec:
    return _by_name(DESCRIBERS, name, "describer")


def describer_names() -> list[str]:
    return [d.name for d in DESCRIBERS]


# ---------------------------------------------------------------------------
# OpenAI text models a describer may name: reasoning or not, and shutdown
# dates with OpenAI's recommended replacement.  Read 2026-12-06 from OpenAI's
# deprecations page (developers.openai.com/api/docs/deprecations) and model
# pages, through the docs search tool; where the page's excerpt was cut off,
# the replacement is the one mirrors of that page quote (``source``).
# ---------------------------------------------------------------------------

TEXT_MODELS_AS_OF = "2026-12-06"
SHUTDOWN_WARN_DAYS = 30  # a model this close to its shutdown warns once on stderr


@dataclass(frozen=True)
class TextModelSpec:
    name: str  # API model name (dated snapshots match their family: gpt-4.1-mini-2025-04-14 -> gpt-4.1-mini)
    reasoning: bool  # takes reasoning effort, refuses sampling parameters (temperature, top_p)
    vision: bool = True
    shutdown: str | None = None  # ISO date OpenAI shuts it down, if announced
    replacement: str | None = None  # OpenAI's recommended replacement
    source: str = "OpenAI deprecations page, read 2026-12-06"


TEXT_MODELS: tuple[TextModelSpec, ...] = (
    TextModelSpec("gpt-6-luna", reasoning=True, source="OpenAI model page gpt-6-luna (released 2026-09-22), read 2026-12-06"),
    TextModelSpec("gpt-6-sol", reasoning=True, source="OpenAI API reference model list, read 2026-12-06"),
    TextModelSpec("gpt-6.1-sol", reasoning=True, source="OpenAI API reference model list, read 2026-12-06"),
    TextModelSpec("gpt-6.1-terra", reasoning=True, source="OpenAI deprecations page (replacement of gpt-5-mini), read 2026-12-06"),
    TextModelSpec("gpt-5.6-sol", reasoning=True, source="OpenAI API reference model list, read 2026-12-06"),
    TextModelSpec("gpt-5.6-terra", reasoning=True, source="OpenAI API reference model list, read 2026-12-06"),
    TextModelSpec("gpt-5.6-luna", reasoning=True, source="OpenAI API reference model list, read 2026-12-06"),
    TextModelSpec("gpt-5.1", reasoning=True, shutdown="2027-04-01", replacement="gpt-6.1-sol",
                  source="mirror of OpenAI's deprecations page (dev.to, 2026-10-28), read 2026-12-06"),
    TextModelSpec("gpt-5", reasoning=True, shutdown="2026-12-11", replacement="gpt-6.1-sol"),
    TextModelSpec("gpt-5-mini", reasoning=True, shutdown="2026-12-11", replacement="gpt-6.1-terra"),
    TextModelSpec("gpt-5-nano", reasoning=True, shutdown="2026-12-11", replacement="gpt-5.6-luna",
                  source="mirror of OpenAI's deprecations page (dev.to/aideprecations), read 2026-12-06"),
    TextModelSpec("o3", reasoning=True, shutdown="2026-12-11", replacement="gpt-6.1-sol"),
    TextModelSpec("o4-mini", reasoning=True, shutdown="2026-10-23", replacement="gpt-5.6-terra"),
    TextModelSpec("gpt-4.1", reasoning=False, shutdown="2027-01-14", replacement="gpt-6-luna"),
    TextModelSpec("gpt-4.1-mini", reasoning=False, shutdown="2027-01-14", replacement="gpt-6-luna"),
    TextModelSpec("gpt-4.1-nano", reasoning=False, shutdown="2026-10-23", replacement="gpt-5.6-luna"),
    TextModelSpec("gpt-4o", reasoning=False, shutdown="2027-01-14", replacement="gpt-6-luna"),
    TextModelSpec("gpt-4o-mini", reasoning=False, shutdown="2027-01-14", replacement="gpt-6-luna"),
)
DEFAULT_TEXT_MODEL = "gpt-6-luna"
REFERENCE_TEXT_MODEL = "gpt-4.1-mini"  # the seed's (reference system's) describer

if len({t.name for t in TEXT_MODELS}) != len(TEXT_MODELS) or DEFAULT_TEXT_MODEL not in {t.name for t in TEXT_MODELS}:
    raise AssertionError("duplicate or missing text model")  # programming error, caught by tests


def text_model(name: str) -> TextModelSpec | None:
    """The entry for an API model name (a dated snapshot matches its family), or None if unknown."""
    import re

    for candidate in (name, re.sub(r"-\d{4}-\d{2}-\d{2}$", "", name)):
        for t in TEXT_MODELS:
            if t.name == candidate:
                return t
    return None


def text_model_notice(name: str, today: str | None = None) -> str | None:
    """Refuse a text model past its shutdown date; a warning line for one within 30 days, else None.

    Raises :class:`~semcodec.errors.ModelUnavailableError` (one line naming
    OpenAI's replacement) for a model whose shutdown date is today or earlier.
    """
    import datetime

    from .errors import ModelUnavailableError

    spec = text_model(name)
    if spec is None or spec.shutdown is None:
        return None
    day = datetime.date.fromisoformat(today) if today else datetime.date.today()
    shut = datetime.date.fromisoformat(spec.shutdown)
    instead = f"; use {spec.replacement} (OpenAI's recommended replacement)" if spec.replacement else ""
    if shut <= day:
        raise ModelUnavailableError(f"model {name} was shut down by OpenAI on {spec.shutdown}{instead}")
    if (shut - day).days <= SHUTDOWN_WARN_DAYS:
        return f"model {name} is shut down by OpenAI on {spec.shutdown} ({(shut - day).days} days){instead}"
    return None
