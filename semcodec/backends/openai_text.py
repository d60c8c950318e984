"""OpenAI describer: image -> M structured prompts through Chat Completions or the Responses API.

Each call sends instructions (``semcodec.backends.instructions``) and, for
describe and refine, the image as a base64 data URL downscaled to at most
``max_image_px`` on its long side (to bound cost), and asks for the answer
through structured outputs (strict ``json_schema``: ``response_format`` in
Chat Completions, ``text.format`` in the Responses API; ``api=`` picks the
shape, default ``chat``, or ``$SEMCODEC_OPENAI_API``).  A refine call that has
the best render so far sends two images, labelled: the original and that
render with its critic score.  A reasoning model (``registry.TEXT_MODELS``)
is sent a reasoning effort (``reasoning_effort`` / ``reasoning.effort``) and
no sampling parameters.  The
answer is validated with :func:`~semcodec.backends.instructions.parse_prompts`;
a malformed answer is asked for once more (the model is told what was wrong),
then :class:`~semcodec.errors.BackendError`.  Every request is recorded in
``.calls`` as a :class:`ModelCall` with its token usage and an estimated cost.
"""

from __future__ import annotations

import base64
import io
import os
import time
from typing import Any, Callable

from ..errors import BackendError, SemError
from ..prompt import Prompt
from ..registry import DEFAULT_TEXT_MODEL, text_model
from .base import DescribeRequest, ModelCall, RefineFeedback
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

DEFAULT_MODEL = DEFAULT_TEXT_MODEL
DEFAULT_TEXT_TIMEOUT = 60.0
JPEG_QUALITY = 90
API_SHAPES = ("chat", "responses")
REASONING_EFFORT = "low"  # describing a picture needs little deliberation; reasoning tokens are billed as output
REASONING_TOKEN_ALLOWANCE = 2048  # added to the output cap of a reasoning model (its reasoning counts against it)

_USER_TEXT = {
    "describe": "Describe this image as the JSON asked for.",
    "refine": "This is the image to match. Give the improved variants as the JSON asked for.",
    "refine2": "Give the corrected variants as the JSON asked for.",
    "compress": "Give the shortened prompt as the JSON asked for.",
}


def is_reasoning(model: str) -> bool:
    """Whether ``model`` is a reasoning model (registry data; unknown gpt-5*/gpt-6*/o* names count as one)."""
    spec = text_model(model)
    if spec is not None:
        return spec.reasoning
    return model.startswith(("gpt-5", "gpt-6", "gpt-7", "o1", "o3", "o4"))


def _size(prompt: Prompt) -> int:
    return len(prompt.text().encode("utf-8"))


def response_format(m: int) -> dict[str, Any]:
    """The chat-completions ``response_format`` asking for exactly ``m`` prompts."""
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": prompt_json_schema(m)}}


def text_format(m: int) -> dict[str, Any]:
    """The Responses API ``text`` parameter asking for exactly ``m`` prompts."""
    return {"format": {"type": "json_schema", "name": SCHEMA_NAME, "strict": True, "schema": prompt_json_schema(m)}}


def responses_input(messages: list[dict]) -> tuple[str, list[dict]]:
    """(instructions, input) of the Responses API for chat-style ``messages``."""
    instructions, items = "", []
    for msg in messages:
        content = msg["content"]
        if msg["role"] in ("system", "developer"):
            instructions += ("\n" if instructions else "") + str(content)
            continue
        if isinstance(content, str):
            items.append({"role": msg["role"], "content": content})
            continue
        parts = []
        for part in content:
            if part["type"] == "text":
                parts.append({"type": "input_text", "text": part["text"]})
            else:
                parts.append({"type": "input_image", "image_url": part["image_url"]["url"],
                              "detail": part["image_url"].get("detail", "auto")})
        items.append({"role": msg["role"], "content": parts})
    return instructions, items


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
        api: str = "chat",
        reasoning_effort: str | None = None,
    ) -> None:
        if max_image_px < 16:
            raise ValueError("max_image_px must be at least 16")
        if api not in API_SHAPES:
            raise ValueError(f"api must be one of {', '.join(API_SHAPES)}, not {api!r}")
        self.api = api
        self.reasoning = is_reasoning(model)
        self.reasoning_effort = (reasoning_effort or REASONING_EFFORT) if self.reasoning else None
        self.client = client
        self.model = model
        self.policy = policy
        self.timeout = timeout
        self.max_image_px = max_image_px
        self.detail = detail
        spec = text_model(model)
        self.shutdown = shutdown if shutdown is not None else (spec.shutdown if spec else text_price(model)[0].shutdown)
        self.calls: list[ModelCall] = []
        self.retry_delays: list[float] = []

    # -- Describer -----------------------------------------------------------
    def describe(self, request: DescribeRequest) -> list[Prompt]:
        instructions = describe_instructions(request.m, request.max_text_bytes, request.caption)
        return self._ask("describe", instructions, request, request.m, with_image=True)

    def refine(self, request: DescribeRequest, best: Prompt, feedback: RefineFeedback | None = None) -> list[Prompt]:
        """Corrected variants of ``best``; with ``feedback`` the best render is sent too (two images)."""
        score = None if feedback is None else float(feedback.score)
        instructions = refine_instructions(best, request.m, request.max_text_bytes, score)
        return self._ask("refine", instructions, request, request.m, with_image=True, feedback=feedback)

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
        """Estimated USD of one ``kind`` call ("describe", "refine", "compress"); a refine call
        carries two images (the original and the best render)."""
        m = request.m if request is not None else 1
        budget = request.max_text_bytes if request is not None else 300
        if kind == "compress":
            return estimate_compress_cost(self.model, budget)
        size = request.image.size if request is not None else (self.max_image_px, self.max_image_px)
        return estimate_describe_cost(self.model, m, size, max_text_bytes=budget, max_image_px=self.max_image_px,
                                      detail=self.detail, images=2 if kind == "refine" else 1)

    # -- internals ---------------------------------------------------------------
    def _image_part(self, image) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": image_data_url(image, self.max_image_px), "detail": self.detail}}

    def _messages(self, kind: str, instructions: str, request: DescribeRequest, with_image: bool,
                  feedback: RefineFeedback | None = None) -> list[dict]:
        if feedback is not None:  # two images, each labelled in the text before it
            content: list[dict[str, Any]] = [
                {"type": "text", "text": "Image 1: the ORIGINAL image to match."},
                self._image_part(request.image),
                {"type": "text", "text": f"Image 2: the current best render, drawn from the best prompt so far "
                                         f"(round {feedback.t}; CLIP similarity to the original {feedback.score:.3f})."},
                self._image_part(feedback.render),
                {"type": "text", "text": _USER_TEXT["refine2"]},
            ]
            return [{"role": "system", "content": instructions}, {"role": "user", "content": content}]
        content = [{"type": "text", "text": _USER_TEXT[kind]}]
        if with_image:
            content.append(self._image_part(request.image))
        return [{"role": "system", "content": instructions}, {"role": "user", "content": content}]

    def _ask(self, kind: str, instructions: str, request: DescribeRequest, m: int, *, with_image: bool,
             feedback: RefineFeedback | None = None) -> list[Prompt]:
        messages = self._messages(kind, instructions, request, with_image, feedback)
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

    def _request(self, messages: list[dict], m: int, max_text_bytes: int) -> Callable[[], Any]:
        """The one API request, in the chosen shape, as a thunk for :func:`call_with_retries`."""
        cap = output_token_cap(m, max_text_bytes) + (REASONING_TOKEN_ALLOWANCE if self.reasoning else 0)
        if self.api == "responses":
            instructions, items = responses_input(messages)
            kwargs: dict[str, Any] = {"model": self.model, "instructions": instructions, "input": items,
                                      "text": text_format(m), "max_output_tokens": cap, "store": False}
            if self.reasoning_effort:
                kwargs["reasoning"] = {"effort": self.reasoning_effort}
            return lambda: self.client.responses.create(**kwargs)
        kwargs = {"model": self.model, "messages": messages, "response_format": response_format(m),
                  "max_completion_tokens": cap}
        if self.reasoning_effort:
            kwargs["reasoning_effort"] = self.reasoning_effort
        return lambda: self.client.chat.completions.create(**kwargs)

    def _call(self, kind: str, messages: list[dict], m: int, max_text_bytes: int) -> str:
        start = time.perf_counter()
        response = call_with_retries(
            self._request(messages, m, max_text_bytes),
            policy=self.policy,
            model=self.model,
            retired_on=self.shutdown,
            hint="choose another model that accepts images (semmodels list shows the registry's)",
            timeout=self.timeout,
            delays=self.retry_delays,
        )
        seconds = time.perf_counter() - start
        images = sum(1 for msg in messages if isinstance(msg["content"], list)
                     for part in msg["content"] if part.get("type") == "image_url")
        usage = getattr(response, "usage", None)
        if self.api == "responses":
            tokens_in = int(getattr(usage, "input_tokens", 0) or 0)
            tokens_out = int(getattr(usage, "output_tokens", 0) or 0)
            details = getattr(usage, "input_tokens_details", None)
            out_details = getattr(usage, "output_tokens_details", None)
        else:
            tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
            tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
            details = getattr(usage, "prompt_tokens_details", None)
            out_details = getattr(usage, "completion_tokens_details", None)
        cached = int(getattr(details, "cached_tokens", 0) or 0)
        reasoning_tokens = int(getattr(out_details, "reasoning_tokens", 0) or 0)
        _, known = text_price(self.model)
        if self.api == "responses":
            text, refusal, finish = _responses_text(response)
        else:
            choice = response.choices[0] if getattr(response, "choices", None) else None
            text = None if choice is None else (choice.message.content or "")
            refusal = None if choice is None else getattr(choice.message, "refusal", None)
            finish = getattr(choice, "finish_reason", None)
        extra = {
            "cost": "estimate" if known else "estimate (model not in the price table; priced high)",
            "finish_reason": finish,
            "cached_tokens": cached,
            "api": self.api,
            "images": images,
        }
        if kind == "refine":
            extra["images_sent"] = ["original", "best render"] if images == 2 else ["original"][:images]
        if self.reasoning_effort:
            extra["reasoning_effort"] = self.reasoning_effort
            extra["reasoning_tokens"] = reasoning_tokens
        self.calls.append(
            ModelCall(
                kind=kind,
                model=self.model,
                seconds=seconds,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost_usd=text_cost(self.model, tokens_in, tokens_out, cached),
                extra=extra,
            )
        )
        if text is None:
            raise BackendError(f"{self.model} returned no answer")
        if refusal:
            raise BackendError(f"{self.model} refused to {kind}: {' '.join(str(refusal).split())[:200]}")
        return text


def _responses_text(response: Any) -> tuple[str | None, str | None, str | None]:
    """(output text, refusal, status) of a Responses API answer."""
    texts, refusal = [], None
    for item in getattr(response, "output", None) or []:
        if getattr(item, "type", None) != "message":
            continue
        for part in getattr(item, "content", None) or []:
            kind = getattr(part, "type", None)
            if kind == "output_text":
                texts.append(getattr(part, "text", "") or "")
            elif kind == "refusal":
                refusal = getattr(part, "refusal", None) or "refused"
    status = getattr(response, "status", None)
    if status == "incomplete":
        reason = getattr(getattr(response, "incomplete_details", None), "reason", None)
        status = f"incomplete ({reason})" if reason else status
    if not texts and refusal is None:
        return None, None, status
    return "".join(texts), refusal, status


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
    api: str | None = None,
    reasoning_effort: str | None = None,
) -> OpenAIDescriber:
    """An OpenAI :class:`Describer`.  No API key raises :class:`MissingError` at once.

    ``api`` is ``"chat"`` (Chat Completions, the default: compatible endpoints
    speak it) or ``"responses"``; ``None`` reads ``$SEMCODEC_OPENAI_API``.
    """
    shape = api if api is not None else (os.environ.get("SEMCODEC_OPENAI_API") or "chat")
    if shape not in API_SHAPES:
        raise SemError(f"SEMCODEC_OPENAI_API / api must be one of {', '.join(API_SHAPES)}, not {shape!r}")
    client = make_client(api_key, base_url, timeout)
    policy = RetryPolicy(max_retries=max_retries, base_delay=base_delay, max_delay=max_delay, sleep=sleep)
    return OpenAIDescriber(client, model, policy=policy, timeout=timeout, max_image_px=max_image_px, detail=detail,
                           api=shape, reasoning_effort=reasoning_effort)
