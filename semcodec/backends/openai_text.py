"""OpenAI describer: image -> M structured prompts through chat completions.

Each call sends instructions (``semcodec.backends.instructions``) and, for
describe and refine, the image as a base64 data URL downscaled to at most
``max_image_px`` on its long side (to bound cost), and asks for the answer
through structured outputs (``response_format`` ``json_schema``, strict).  The
answer is validated with :func:`~semcodec.backends.instructions.parse_prompts`;
a malformed answer is asked for once more (the model is told what was wrong),
then :class:`~semcodec.errors.BackendError`.  Every request is recorded in
``.calls`` as a :class:`ModelCall` with its token usage and an estimated cost.
"""

from __future__ import annotations

import base64
import io
import time
from typing import Any, Callable

from ..errors import BackendError
from ..prompt import Prompt
from .base import DescribeRequest, ModelCall
from .instructions import (
    SCHEMA_NAME,
    compress_instructions,
    describe_instructions,
    parse_prompts,
    prompt_json_schema,
    refine_instructions,
)
from .openai_common import (
    DEFAULT_MAX_IMAGE_PX,
    RetryPolicy,
    call_with_retries,
    estimate_compress_cost,
    estimate_describe_cost,
    make_client,
    output_token_cap,
    text_cost,
    text_price,
)

DEFAULT_MODEL = "gpt-4.1-mini"
DEFAULT_TEXT_TIMEOUT = 60.0
JPEG_QUALITY = 90

_USER_TEXT = {
    "describe": "Describe this image as the JSON asked for.",
    "refine": "This is the image to match. Give the improved variants as the JSON asked for.",
    "compress": "Give the shortened prompt as the JSON asked for.",
}


def _size(prompt: Prompt) -> int:
    return len(prompt.text().encode("utf-8"))


def response_format(m: int) -> dict[str, Any]:
    """The chat-completions ``response_format`` asking for exactly ``m`` prompts."""
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": prompt_json_schema(m)}}


def downscale(image, max_px: int):
    """RGB copy of ``image`` with its long side at most ``max_px`` (never upscaled)."""
    from PIL import Image

    img = image.convert("RGB")
    w, h = img.size
    if max(w, h) > max_px:
        s = max_px / max(w, h)
        img = img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.LANCZOS)
    return img


def image_data_url(image, max_px: int = DEFAULT_MAX_IMAGE_PX) -> str:
    """``data:image/jpeg;base64,...`` of the downscaled image."""
    buf = io.BytesIO()
    downscale(image, max_px).save(buf, format="JPEG", quality=JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class OpenAIDescriber:
    """:class:`~semcodec.backends.base.Describer` backed by an OpenAI chat model with image input."""

    name = "openai"

    def __init__(
        self,
        client: Any,
        model: str = DEFAULT_MODEL,
        *,
        policy: RetryPolicy,
        timeout: float = DEFAULT_TEXT_TIMEOUT,
        max_image_px: int = DEFAULT_MAX_IMAGE_PX,
        detail: str = "high",
        shutdown: str | None = None,
    ) -> None:
        if max_image_px < 16:
            raise ValueError("max_image_px must be at least 16")
        self.client = client
        self.model = model
        self.policy = policy
        self.timeout = timeout
        self.max_image_px = max_image_px
        self.detail = detail
        self.shutdown = shutdown if shutdown is not None else text_price(model)[0].shutdown
        self.calls: list[ModelCall] = []
        self.retry_delays: list[float] = []

    # -- Describer -----------------------------------------------------------
    def describe(self, request: DescribeRequest) -> list[Prompt]:
        instructions = describe_instructions(request.m, request.max_text_bytes, request.caption)
        return self._ask("describe", instructions, request, request.m, with_image=True)

    def refine(self, request: DescribeRequest, best: Prompt, feedback=None) -> list[Prompt]:
        instructions = refine_instructions(best, request.m, request.max_text_bytes)
        return self._ask("refine", instructions, request, request.m, with_image=True)

    def compress(self, request: DescribeRequest, prompt: Prompt) -> Prompt:
        """A shorter prompt; if the first answer is still over budget it asks once more.

        The best answer is returned even if it does not fit: the caller checks
        the budget (and cuts) itself.
        """
        instructions = compress_instructions(prompt, request.max_text_bytes)
        first = self._ask("compress", instructions, request, 1, with_image=False)[0]
        if _size(first) <= request.max_text_bytes:
            return first
        again = compress_instructions(first, request.max_text_bytes)
        second = self._ask("compress", again, request, 1, with_image=False)[0]
        return second if _size(second) < _size(first) else first

    def estimate_cost(self, kind: str, *, request: DescribeRequest | None = None, **_: Any) -> float:
        """Estimated USD of one ``kind`` call ("describe", "refine", "compress")."""
        m = request.m if request is not None else 1
        budget = request.max_text_bytes if request is not None else 300
        if kind == "compress":
            return estimate_compress_cost(self.model, budget)
        size = request.image.size if request is not None else (self.max_image_px, self.max_image_px)
        return estimate_describe_cost(self.model, m, size, max_text_bytes=budget, max_image_px=self.max_image_px, detail=self.detail)

    # -- internals ---------------------------------------------------------------
    def _messages(self, kind: str, instructions: str, request: DescribeRequest, with_image: bool) -> list[dict]:
        content: list[dict[str, Any]] = [{"type": "text", "text": _USER_TEXT[kind]}]
        if with_image:
            url = image_data_url(request.image, self.max_image_px)
            content.append({"type": "image_url", "image_url": {"url": url, "detail": self.detail}})
        return [{"role": "system", "content": instructions}, {"role": "user", "content": content}]

    def _ask(self, kind: str, instructions: str, request: DescribeRequest, m: int, *, with_image: bool) -> list[Prompt]:
        messages = self._messages(kind, instructions, request, with_image)
        problem = ""
        for attempt in range(2):  # one retry after a malformed answer
            content = self._call(kind, messages, m, request.max_text_bytes)
            try:
                return parse_prompts(content, m)
            except BackendError as exc:
                problem = str(exc)
            if attempt == 0:
                messages = messages + [
                    {"role": "assistant", "content": content[:4000]},
                    {
                        "role": "user",
                        "content": f"That answer was not usable: {problem}. Answer again with exactly {m} "
                        "prompt(s) as JSON that follows the schema and the rules.",
                    },
                ]
        raise BackendError(f"{self.model} gave an unusable {kind} answer twice: {problem}")

    def _call(self, kind: str, messages: list[dict], m: int, max_text_bytes: int) -> str:
        start = time.perf_counter()
        response = call_with_retries(
            lambda: self.client.chat.completions.create(
                model=self.model,
                messages=messages,
                response_format=response_format(m),
                max_completion_tokens=output_token_cap(m, max_text_bytes),
            ),
            policy=self.policy,
            model=self.model,
            retired_on=self.shutdown,
            hint="choose another chat model that accepts images",
            timeout=self.timeout,
            delays=self.retry_delays,
        )
        seconds = time.perf_counter() - start
        usage = getattr(response, "usage", None)
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        cached = int(getattr(details, "cached_tokens", 0) or 0)
        _, known = text_price(self.model)
        choice = response.choices[0] if getattr(response, "choices", None) else None
        self.calls.append(
            ModelCall(
                kind=kind,
                model=self.model,
                seconds=seconds,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost_usd=text_cost(self.model, tokens_in, tokens_out, cached),
                extra={
                    "cost": "estimate" if known else "estimate (model not in the price table; priced high)",
                    "finish_reason": getattr(choice, "finish_reason", None),
                    "cached_tokens": cached,
                },
            )
        )
        if choice is None:
            raise BackendError(f"{self.model} returned no answer")
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise BackendError(f"{self.model} refused to {kind}: {' '.join(str(refusal).split())[:200]}")
        return choice.message.content or ""


def load_describer(
    model: str = DEFAULT_MODEL,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    timeout: float = DEFAULT_TEXT_TIMEOUT,
    max_retries: int = 3,
    base_delay: float = 1.0,
    max_delay: float = 30.0,
    max_image_px: int = DEFAULT_MAX_IMAGE_PX,
    detail: str = "high",
    sleep: Callable[[float], None] = time.sleep,
) -> OpenAIDescriber:
    """An OpenAI :class:`Describer`.  No API key raises :class:`MissingError` at once."""
    client = make_client(api_key, base_url, timeout)
    policy = RetryPolicy(max_retries=max_retries, base_delay=base_delay, max_delay=max_delay, sleep=sleep)
    return OpenAIDescriber(client, model, policy=policy, timeout=timeout, max_image_px=max_image_px, detail=detail)
