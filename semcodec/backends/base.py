"""The three model interfaces the codec is built from (critic, generator, describer).

Backends implement these; the encoder, decoder and bench take them as
arguments (dependency injection), so tests can pass tiny or fake models.
Nothing here imports a heavy library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from PIL import Image

    from ..prompt import Prompt
    from ..registry import DecoderSpec


@runtime_checkable
class Critic(Protocol):
    """A CLIP model used to score: CLIP(text, image) and CLIPSim(image, image)."""

    name: str
    context_length: int  # tokens per chunk, BOS/EOS included (77 for CLIP)

    def embed_images(self, images: Sequence["Image.Image"]) -> "np.ndarray":
        """(n, d) float32, each row unit-normalised."""

    def embed_texts(self, texts: Sequence[str]) -> "np.ndarray":
        """(n, d) float32 unit rows; a text longer than the context is split into
        chunks with :meth:`chunk_text`, each chunk embedded, and the **mean of
        the chunk embeddings' scores** is used by :meth:`score_texts` (never truncation)."""

    def chunk_text(self, text: str) -> list[str]:
        """Split into pieces that each fit the context (tokenizer-exact)."""

    def score_texts(self, texts: Sequence[str], image_embedding: "np.ndarray") -> "np.ndarray":
        """(n,) cosine of each text with one unit image embedding; mean over chunks."""

    def clipsim(self, a: "np.ndarray", b: "np.ndarray") -> "np.ndarray":
        """Cosine between unit embeddings, row-wise or broadcast ((n,d) vs (d,))."""


@dataclass
class Rendered:
    image: "Image.Image"  # RGB, the generator's native size
    seed: int | None
    revised_prompt: str | None = None  # what an API says it actually drew
    cost_usd: float = 0.0
    seconds: float = 0.0


@runtime_checkable
class Generator(Protocol):
    """Text -> image.  A deterministic generator gives identical pixels for the
    same (text, seed) whatever else is in the batch."""

    spec: "DecoderSpec"

    def count_tokens(self, text: str) -> int | None:
        """Tokens the text encoder would see (BOS/EOS included); None if unlimited."""

    def render(self, text: str, seeds: Sequence[int | None]) -> list[Rendered]:
        """One image per seed (None for non-deterministic generators)."""


@dataclass
class DescribeRequest:
    image: "Image.Image"
    m: int  # how many candidate prompts to return
    max_text_bytes: int  # budget for the canonical text, in UTF-8 bytes
    caption: str | None = None  # optional hint (the reference system's initial caption)


@dataclass
class RefineFeedback:
    """What the loop knows of the best prompt so far, for a refiner that looks.

    ``render`` is the best prompt's winning render, resized to the original's
    size: for a seeded decoder, exactly the picture the receiver will see.
    """

    render: "Image.Image"
    score: float  # the critic's CLIPSim of that render against the original
    t: int  # the round it came from


@dataclass
class ModelCall:
    """One call to a remote or local language model, for the trace and cost."""

    kind: str  # "describe" | "refine" | "compress" | "render"
    model: str
    seconds: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    extra: dict = field(default_factory=dict)


@runtime_checkable
class Describer(Protocol):
    """Image -> M structured prompts, and best prompt -> M variants."""

    name: str
    calls: list[ModelCall]  # appended to on every model call

    def describe(self, request: DescribeRequest) -> list["Prompt"]:
        """Round 1: M candidate descriptions of the image."""

    def refine(
        self, request: DescribeRequest, best: "Prompt", feedback: RefineFeedback | None = None
    ) -> list["Prompt"]:
        """Round t>1: M variations of the best prompt so far.  ``feedback`` carries
        the best render and its score (the encoder always passes it; a refiner
        that cannot look at images may ignore it)."""

    def compress(self, request: DescribeRequest, prompt: "Prompt") -> "Prompt":
        """A shorter prompt with the same meaning, within request.max_text_bytes."""
