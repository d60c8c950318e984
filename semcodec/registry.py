"""Registries as data: decoders, prompt codecs, critics and describers.

Numeric IDs are written into ``.sem`` files.  **An ID, once published, never
changes meaning**: entries are only ever added, never renumbered or reused, and
IDs are written here explicitly (never derived from order).  A retired model
keeps its entry so old files stay readable.  spec/sem-v1.md section 6 mirrors
the ID tables; tests check the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from .errors import SemError, UnsupportedError

# ---------------------------------------------------------------------------
# Decoders (text -> image).  ID is a varint in the file.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DecoderSpec:
    id: int
    name: str
    family: str  # "diffusers" | "openai" | "synthetic"
    deterministic: bool  # same prompt + seed -> same pixels (given versions and device class)
    description: str
    source: str | None = None  # diffusers: hub repo id; openai: API model name
    revision: str | None = None  # diffusers: pinned hub commit
    token_limit: int | None = None  # text-encoder context in tokens (incl. BOS/EOS), None = no limit
    width: int = 512  # native output size
    height: int = 512
    params: Mapping[str, Any] = field(default_factory=dict)  # family-specific fixed settings
    retired: str | None = None  # ISO date the provider shut the model down, if any

    @property
    def takes_seed(self) -> bool:
        return self.deterministic


_SD_TURBO_PARAMS = MappingProxyType(
    {
        "pipeline": "AutoPipelineForText2Image",
        "scheduler": "EulerDiscreteScheduler",
        "timestep_spacing": "trailing",
        "steps": 1,
        "guidance_scale": 0.0,
        "dtype_gpu": "float16",
        "dtype_cpu": "float32",
        "variant_gpu": "fp16",
    }
)

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
        params=_SD_TURBO_PARAMS,
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


PROMPT_CODECS: tuple[PromptCodecSpec, ...] = (
    PromptCodecSpec(
        id=1,
        name="zstd-dict-v1",
        module="zstd_dict",
        description="msgpack array [scene, objects, lighting(, style)], zstd level 19, magic-less frame, "
        "dictionary semcodec/promptcodec/data/zstd-dict-v1.bin",
    ),
)

DEFAULT_PROMPT_CODEC = "zstd-dict-v1"


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
