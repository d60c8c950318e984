"""The codec ladder of ``sembench rd``: pixel baselines and the semantic codec.

Every codec turns one RGB image and one parameter value into the *real file
bytes* a receiver would get (every byte counts: headers, container boxes) and
the receiver's reconstruction, decoded from those bytes alone.  Reference
baselines: JPEG quality 10 and a 32-px-short-side thumbnail.

Codecs are registered in one place, :data:`CODECS` (name -> class).
"""

from __future__ import annotations

import io
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

from PIL import Image, features

from .._version import __version__
from ..errors import BackendError, InputError, SemError
from ..registry import DEFAULT_DECODER, DEFAULT_PROMPT_CODEC


@dataclass
class CodecOutput:
    """What a receiver gets: the file's bytes and the image decoded from them."""

    bytes_: bytes
    reconstruction: Image.Image  # RGB, at the original's size
    info: dict = field(default_factory=dict)
    # further fresh decodes of the same bytes (non-deterministic decoders)
    extra_reconstructions: list = field(default_factory=list)

    @property
    def reconstructions(self) -> list[Image.Image]:
        return [self.reconstruction, *self.extra_reconstructions]


def _clean(image: Image.Image) -> Image.Image:
    """An RGB copy with no metadata, so no ICC/EXIF bytes ride along into a file."""
    out = image.convert("RGB").copy()
    out.info = {}
    return out


class Codec(ABC):
    """One rung of the ladder: a name, a parameter sweep and ``run``."""

    name: ClassVar[str]
    param_label: ClassVar[str] = "param"
    default_points: ClassVar[tuple] = ()
    reference: ClassVar[Any] = None  # the reference-baseline parameter, if any
    deterministic: bool = True

    def __init__(self, points: Sequence | None = None) -> None:
        self._points = tuple(points) if points else tuple(self.default_points)

    def points(self) -> list:
        """The parameter values swept, in order of increasing rate."""
        return list(self._points)

    @property
    @abstractmethod
    def description(self) -> str:
        """One paragraph: library versions and every setting used."""

    def settings(self) -> dict:
        """Everything that changes this codec's output (hashed for the cache)."""
        return {"name": self.name, "description": self.description}

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """(usable here, reason if not)."""
        return True, ""

    @abstractmethod
    def run(self, image: Image.Image, param: Any) -> CodecOutput:
        """Encode ``image`` at ``param``; decode the bytes; return both."""


class PillowCodec(Codec):
    """Encode to an in-memory file with Pillow and decode from those bytes."""

    format: ClassVar[str]

    def save_options(self, param: Any) -> dict:
        return {}

    def prepare(self, image: Image.Image, param: Any) -> Image.Image:
        """The image actually encoded (e.g. downscaled)."""
        return image

    def finish(self, decoded: Image.Image, original: Image.Image, param: Any) -> Image.Image:
        """Post-process the decoded image into the reconstruction (e.g. upsample)."""
        return decoded

    def run(self, image: Image.Image, param: Any) -> CodecOutput:
        src = _clean(self.prepare(image, param))
        buf = io.BytesIO()
        t0 = time.perf_counter()
        try:
            src.save(buf, format=self.format, **self.save_options(param))
        except (OSError, ValueError, KeyError) as exc:
            raise BackendError(f"{self.name}: Pillow could not encode at {param}: {exc}") from None
        data = buf.getvalue()
        t1 = time.perf_counter()
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                decoded = im.convert("RGB")
        except (OSError, ValueError) as exc:
            raise BackendError(f"{self.name}: Pillow could not decode its own file at {param}: {exc}") from None
        rec = self.finish(decoded, image, param)
        t2 = time.perf_counter()
        info = {"coded_width": src.width, "coded_height": src.height, "encode_s": t1 - t0, "decode_s": t2 - t1}
        return CodecOutput(bytes_=data, reconstruction=rec, info=info)


def _lib(name: str) -> str:
    try:
        return str(features.version(name))
    except ValueError:
        return "unknown"


def _pillow() -> str:
    import PIL

    return f"Pillow {PIL.__version__}"


# ---------------------------------------------------------------------------
# Full-resolution pixel codecs
# ---------------------------------------------------------------------------


class JPEG(PillowCodec):
    name = "jpeg"
    format = "JPEG"
    param_label = "quality"
    default_points = (1, 5, 10, 20, 40, 75)
    reference = 10

    def save_options(self, param: Any) -> dict:
        return {"quality": int(param)}

    @property
    def description(self) -> str:
        return (
            f"JPEG via {_pillow()} (libjpeg-turbo {_lib('libjpeg_turbo')}), quality sweep "
            f"{', '.join(map(str, self.points()))}; Pillow defaults otherwise: 4:2:0 chroma subsampling, "
            "baseline (not progressive), standard Huffman tables (optimize off), JFIF header, no metadata; "
            "reference baseline quality 10"
        )


class WebP(PillowCodec):
    name = "webp"
    format = "WEBP"
    param_label = "quality"
    default_points = (0, 5, 10, 20, 40, 75)

    def save_options(self, param: Any) -> dict:
        return {"quality": int(param)}

    @property
    def description(self) -> str:
        return (
            f"lossy WebP via {_pillow()} (libwebp {_lib('webp')}), quality sweep "
            f"{', '.join(map(str, self.points()))}; Pillow defaults otherwise (method 4, no metadata)"
        )


class AVIF(PillowCodec):
    name = "avif"
    format = "AVIF"
    param_label = "quality"
    default_points = (0, 5, 10, 20, 40, 75)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        if features.check("avif"):
            return True, ""
        return False, f"this Pillow ({_pillow()}) was built without AVIF support"

    def save_options(self, param: Any) -> dict:
        return {"quality": int(param), "max_threads": 1}

    @property
    def description(self) -> str:
        return (
            f"AVIF via {_pillow()} (libavif {_lib('avif')}, codec auto), quality sweep "
            f"{', '.join(map(str, self.points()))}; Pillow defaults otherwise (speed 6, 4:2:0, full range, "
            "no metadata) except max_threads=1 so the bytes do not depend on the core count"
        )


# ---------------------------------------------------------------------------
# Thumbnails: downscale, store the small file, upsample back for scoring
# ---------------------------------------------------------------------------


def short_side_size(width: int, height: int, short: int) -> tuple[int, int]:
    """(w, h) with the short side ``short`` and the aspect ratio kept; never upscales."""
    s = min(width, height)
    if s <= short:
        return width, height
    if width <= height:
        return short, max(1, round(height * short / width))
    return max(1, round(width * short / height)), short


class _LowRes(PillowCodec):
    param_label = "short side (px)"
    default_points = (8, 16, 32)
    reference = 32

    def prepare(self, image: Image.Image, param: Any) -> Image.Image:
        size = short_side_size(image.width, image.height, int(param))
        if size == image.size:
            return image
        return image.resize(size, Image.Resampling.LANCZOS)

    def finish(self, decoded: Image.Image, original: Image.Image, param: Any) -> Image.Image:
        if decoded.size == original.size:
            return decoded
        return decoded.resize(original.size, Image.Resampling.BICUBIC)

    _container = ""

    @property
    def description(self) -> str:
        return (
            f"thumbnail: downscale (Lanczos) so the short side is {', '.join(map(str, self.points()))} px, "
            f"aspect kept, store as {self._container} via {_pillow()}, decode, upsample bicubic to the "
            "original size for scoring; reference baseline 32 px"
        )


class LowResPNG(_LowRes):
    name = "lowres-png"
    format = "PNG"
    _container = "PNG (optimize=True, 8-bit RGB, no metadata chunks)"

    def save_options(self, param: Any) -> dict:
        return {"optimize": True}

    @property
    def description(self) -> str:
        return super().description + f"; zlib {_lib('zlib')}"


class LowResWebP(_LowRes):
    name = "lowres-webp"
    format = "WEBP"
    _container = "lossy WebP (Pillow defaults: quality 80, method 4)"

    @property
    def description(self) -> str:
        return super().description + f"; libwebp {_lib('webp')}"


# ---------------------------------------------------------------------------
# The semantic codec
# ---------------------------------------------------------------------------


class SemCodec(Codec):
    """semcodec at several byte budgets: encode, then decode fresh from the file bytes.

    The reconstruction is rendered from ``container.decode(data)`` alone, the
    receiver's view.  A non-deterministic decoder is rendered ``decodes`` times.
    ``info["clipsim_encoder"]`` is the encoder's own best CLIPSim, so the gap
    between encoder and receiver is visible.
    """

    name = "sem"
    param_label = "budget (bytes)"
    default_points = (80, 120, 160, 240)

    def __init__(
        self,
        *,
        critic: Any,
        generator: Any,
        describer: Any,
        points: Sequence | None = None,
        n: int = 4,
        m: int = 3,
        k: int = 4,
        decoder: str = DEFAULT_DECODER,
        prompt_codec: str = DEFAULT_PROMPT_CODEC,
        decodes: int = 3,
        identity: dict | None = None,
    ) -> None:
        super().__init__(points)
        if decodes < 1:
            raise InputError("--decodes must be at least 1")
        self.critic, self.generator, self.describer = critic, generator, describer
        self.n, self.m, self.k = n, m, k
        self.decoder, self.prompt_codec = decoder, prompt_codec
        # the file form a user's default encode writes (and the budget counts): bench counts those bytes
        from ..container import DEFAULT_FORM

        self.container = DEFAULT_FORM
        self.deterministic = bool(generator.spec.deterministic)
        self.decodes = 1 if self.deterministic else decodes
        self.identity = dict(identity or {})

    def settings(self) -> dict:
        return {
            "name": self.name,
            "semcodec": __version__,
            "n": self.n,
            "m": self.m,
            "k": self.k,
            "decoder": self.decoder,
            "prompt_codec": self.prompt_codec,
            "container": self.container,
            "decodes": self.decodes,
            "critic": getattr(self.critic, "name", None),
            "describer": getattr(self.describer, "name", None),
            **self.identity,
        }

    @property
    def description(self) -> str:
        det = "deterministic, 1 decode" if self.deterministic else f"non-deterministic, {self.decodes} fresh decodes"
        extra = "".join(f", {k} {v}" for k, v in sorted(self.identity.items()))
        return (
            f"semcodec {__version__}: byte budgets {', '.join(map(str, self.points()))} (whole .sem file), "
            f"N={self.n} rounds, M={self.m} prompts, K={self.k} seeds, decoder {self.decoder} ({det}), "
            f"prompt codec {self.prompt_codec}, container {self.container}, critic {getattr(self.critic, 'name', '?')}, "
            f"describer {getattr(self.describer, 'name', '?')}{extra}; reconstruction rendered from the file "
            "bytes alone, resized bicubic to the original size for PSNR/SSIM"
        )

    def run(self, image: Image.Image, param: Any) -> CodecOutput:
        from ..container import decode
        from ..decoder import render
        from ..encoder import EncoderConfig, encode_image
        from .metrics import match_size

        cfg = EncoderConfig(
            n=self.n, m=self.m, k=self.k, budget_bytes=int(param), decoder=self.decoder, prompt_codec=self.prompt_codec,
            container=self.container,
        )
        t0 = time.perf_counter()
        result = encode_image(image, config=cfg, critic=self.critic, generator=self.generator, describer=self.describer)
        t1 = time.perf_counter()
        data = bytes(result.data)
        sem = decode(data)  # the receiver sees only the bytes
        if sem.decoder.name != self.generator.spec.name:
            raise SemError(f"the file names decoder {sem.decoder.name} but the bench loaded {self.generator.spec.name}")
        recs = [match_size(render(sem, self.generator), image) for _ in range(self.decodes)]
        t2 = time.perf_counter()
        iterations = [{"t": it.t, "best_clipsim": float(it.best_clipsim)} for it in result.trace.iterations]
        from .html_report import gallery_from_trace

        gallery = gallery_from_trace(result.trace)
        info = {
            "clipsim_encoder": float(result.best_clipsim),
            "iterations": iterations,
            "prompt": sem.prompt.text(),
            "sem_hex": data.hex(),
            "seed": sem.seed,
            "sem_width": sem.width,
            "sem_height": sem.height,
            "encode_s": t1 - t0,
            "decode_s": t2 - t1,
            "gallery": gallery,  # the refinement rounds, compact (the HTML report's gallery)
        }
        return CodecOutput(bytes_=data, reconstruction=recs[0], info=info, extra_reconstructions=recs[1:])


# ---------------------------------------------------------------------------
# Registration: the one place codecs are listed
# ---------------------------------------------------------------------------

CODECS: dict[str, type[Codec]] = {
    "sem": SemCodec,
    "jpeg": JPEG,
    "webp": WebP,
    "avif": AVIF,
    "lowres-png": LowResPNG,
    "lowres-webp": LowResWebP,
}

PIXEL_CODECS = ("jpeg", "webp", "avif", "lowres-png", "lowres-webp")


def default_codec_names() -> list[str]:
    """sem, jpeg, webp, avif (where this Pillow has it), lowres-png, lowres-webp."""
    return [n for n in CODECS if CODECS[n].available()[0]]


def parse_codec_names(text: str) -> list[str]:
    """Split a comma list, check every name; order kept, duplicates dropped."""
    names: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in CODECS:
            raise InputError(f"unknown codec {name!r}; known: {', '.join(CODECS)}")
        if name not in names:
            names.append(name)
    if not names:
        raise InputError("no codec named")
    return names
