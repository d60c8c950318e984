"""OpenAI image decoders (DALL-E 3 and the gpt-image family) as a :class:`Generator`.

The API takes no seed, so these decoders are not deterministic: ``render``
wants ``None`` for every seed and sends one request per image (``n=1``).
The request has one of two shapes, chosen by the registry's ``params["shape"]``:

* ``"dalle"``: ``model, prompt, n, size, quality`` (standard/hd), ``style``
  (natural/vivid), ``response_format="b64_json"``; the answer carries
  ``revised_prompt``.
* ``"gpt-image"``: ``model, prompt, n, size, quality`` (low/medium/high/auto)
  and nothing else: these models refuse ``style`` and ``response_format`` and
  always answer base64.

A file naming a retired model is still sent as asked; the endpoint's refusal
becomes one clear line naming the decoders that still work.
"""

from __future__ import annotations

import base64
import binascii
import io
import time
from typing import Any, Callable, Sequence

from ..errors import BackendError
from ..registry import DecoderSpec
from .base import ModelCall, Rendered
from .openai_common import RetryPolicy, call_with_retries, image_price, make_client

DEFAULT_IMAGE_TIMEOUT = 180.0  # seconds; a high-quality gpt-image render can take a minute or more
MAX_IMAGE_BYTES = 64 * 1024 * 1024  # base64-decoded PNG/JPEG/WebP accepted from the API


def request_params(spec: DecoderSpec, text: str) -> dict[str, Any]:
    """The JSON body fields of ``POST /v1/images/generations`` for ``spec``."""
    p = spec.params
    shape = p.get("shape")
    size = p.get("size", f"{spec.width}x{spec.height}")
    if shape == "dalle":
        return {
            "model": spec.source,
            "prompt": text,
            "n": 1,
            "size": size,
            "quality": p.get("quality", "hd"),
            "style": p.get("style", "natural"),
            "response_format": "b64_json",
        }
    if shape == "gpt-image":
        return {"model": spec.source, "prompt": text, "n": 1, "size": size, "quality": p.get("quality", "high")}
    raise ValueError(f"decoder {spec.name}: unknown OpenAI request shape {shape!r}")


def estimate_image_cost(spec: DecoderSpec) -> float:
    """Estimated USD of one image from an OpenAI decoder registry entry (the price table is openai_common's)."""
    params = request_params(spec, "x")
    return image_price(spec.source or spec.name, params["quality"], params["size"])[0]


def _decode_image(b64: str, model: str):
    from PIL import Image, UnidentifiedImageError

    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise BackendError(f"{model} returned an image that is not valid base64") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise BackendError(f"{model} returned an image of {len(data)} bytes, more than the {MAX_IMAGE_BYTES} accepted")
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))  # transparent -> white
                flat.paste(rgba, mask=rgba.getchannel("A"))
                return flat
            return im.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise BackendError(f"{model} returned data that is not a readable image: {exc}") from None


class OpenAIImageGenerator:
    """:class:`~semcodec.backends.base.Generator` for an OpenAI image model."""

    def __init__(self, spec: DecoderSpec, client: Any, *, policy: RetryPolicy, timeout: float) -> None:
        if spec.family != "openai":
            raise ValueError(f"decoder {spec.name} is not an OpenAI decoder")
        request_params(spec, "x")  # refuses an unknown shape now, not at the first render
        self.spec = spec
        self.client = client
        self.policy = policy
        self.timeout = timeout
        self.calls: list[ModelCall] = []
        self.retry_delays: list[float] = []  # every backoff delay slept, in order

    @property
    def model(self) -> str:
        return self.spec.source or self.spec.name

    def count_tokens(self, text: str) -> int | None:
        return None  # the API takes long prompts; no token limit to fit

    def estimate_cost(self, kind: str = "render", **_: Any) -> float:
        """Estimated USD of one render (the encoder's ``--max-cost`` check)."""
        return estimate_image_cost(self.spec) if kind == "render" else 0.0

    def render(self, text: str, seeds: Sequence[int | None]) -> list[Rendered]:
        if any(s is not None for s in seeds):
            raise ValueError(f"decoder {self.spec.name} takes no seed (the API is not deterministic); pass None")
        return [self._render_one(text) for _ in seeds]

    def _render_one(self, text: str) -> Rendered:
        params = request_params(self.spec, text)
        start = time.perf_counter()
        response = call_with_retries(
            lambda: self.client.images.generate(**params),
            policy=self.policy,
            model=self.model,
            retired_on=self.spec.retired,
            timeout=self.timeout,
            delays=self.retry_delays,
        )
        seconds = time.perf_counter() - start
        data = getattr(response, "data", None) or []
        if not data or not getattr(data[0], "b64_json", None):
            raise BackendError(f"{self.model} returned no base64 image (got {'a URL' if data and data[0].url else 'nothing'})")
        image = _decode_image(data[0].b64_json, self.model)
        cost = estimate_image_cost(self.spec)
        usage = getattr(response, "usage", None)
        self.calls.append(
            ModelCall(
                kind="render",
                model=self.model,
                seconds=seconds,
                input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
                output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
                cost_usd=cost,
                extra={"cost": "estimate", "size": params["size"], "quality": params["quality"]},
            )
        )
        return Rendered(
            image=image,
            seed=None,
            revised_prompt=getattr(data[0], "revised_prompt", None),
            cost_usd=cost,
            seconds=seconds,
        )


def load_generator(
    spec: DecoderSpec,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    timeout: float = DEFAULT_IMAGE_TIMEOUT,
    max_retries: int = 3,
    base_delay: float = 1.0,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> OpenAIImageGenerator:
    """An OpenAI image :class:`Generator` for ``spec``.

    ``api_key`` / ``base_url`` default to ``$OPENAI_API_KEY`` /
    ``$OPENAI_BASE_URL``.  No API key raises :class:`MissingError` at once.
    """
    if spec.family != "openai":
        raise ValueError(f"decoder {spec.name} is not an OpenAI decoder")
    client = make_client(api_key, base_url, timeout)
    policy = RetryPolicy(max_retries=max_retries, base_delay=base_delay, max_delay=max_delay, sleep=sleep)
    return OpenAIImageGenerator(spec, client, policy=policy, timeout=timeout)
