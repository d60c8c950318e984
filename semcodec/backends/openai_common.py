"""Shared plumbing for the OpenAI backends: client, retries, error mapping, prices.

* :func:`make_client` builds the real ``openai.OpenAI`` client with its own
  retries **off** (``max_retries=0``); :func:`call_with_retries` retries 429,
  5xx, timeouts and connection errors itself with exponential backoff, through
  an injectable ``sleep`` so tests run without waiting.
* :func:`map_error` turns every ``openai`` exception into a one-line
  :class:`~semcodec.errors.SemError`.
* The price tables are data.  **Every cost this package reports for OpenAI is an
  estimate** from these tables, not a bill; the tables say where and when the
  prices were read.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, TypeVar

from ..errors import BackendError, MissingError, ModelUnavailableError, SemError

T = TypeVar("T")

INSTALL_HINT = "the OpenAI backends need the 'openai' extra: pip install 'semcodec[openai]'"
KEY_HINT = "set OPENAI_API_KEY (an API key from https://platform.openai.com/api-keys) or pass api_key"

# ---------------------------------------------------------------------------
# Prices (USD).  Estimates; check https://openai.com/api/pricing before budgeting.
# ---------------------------------------------------------------------------

PRICES_AS_OF = "2026-12-06"
PRICES_SOURCE = (
    "OpenAI model pages and pricing page (developers.openai.com/api/docs/pricing, /models/gpt-6-luna, "
    "/models/gpt-image-2.6-sunburst) read 2026-12-06 through the docs search tool; the 2026-05 table for "
    "older models; standard tier, no batch discount"
)


@dataclass(frozen=True)
class TextPrice:
    """Price of a chat model, per million tokens, and how it counts image input."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None = None
    image_rule: str = "patch"  # "patch": 32 px patches x multiplier; "tile": base + per 512 px tile
    image_multiplier: float = 1.0  # patch rule
    image_base_tokens: int = 85  # tile rule
    image_tile_tokens: int = 170  # tile rule
    shutdown: str | None = None  # ISO date OpenAI shuts the model down, if announced (registry.TEXT_MODELS)


TEXT_PRICES: Mapping[str, TextPrice] = {
    # gpt-6-luna: $0.10 / $0.01 cached / $0.50 (read 2026-12-06).  Its image-token rule is not on the pages
    # read: the patch rule at multiplier 1 is assumed.  Reasoning tokens are billed as output.
    "gpt-6-luna": TextPrice(0.10, 0.50, 0.01, "patch", image_multiplier=1.0),
    "gpt-4.1-mini": TextPrice(0.40, 1.60, 0.10, "patch", image_multiplier=1.62, shutdown="2027-01-14"),
    "gpt-4.1-nano": TextPrice(0.10, 0.40, 0.025, "patch", image_multiplier=2.46, shutdown="2026-10-23"),
    "gpt-4.1": TextPrice(2.00, 8.00, 0.50, "tile", image_base_tokens=85, image_tile_tokens=170, shutdown="2027-01-14"),
    "gpt-4o": TextPrice(2.50, 10.00, 1.25, "tile", image_base_tokens=85, image_tile_tokens=170, shutdown="2027-01-14"),
    "gpt-4o-mini": TextPrice(0.15, 0.60, 0.075, "tile", image_base_tokens=2833, image_tile_tokens=5667,
                             shutdown="2027-01-14"),
}
# A model not in the table is priced like this (deliberately on the high side).
UNKNOWN_TEXT_PRICE = TextPrice(2.50, 10.00, None, "tile", image_base_tokens=85, image_tile_tokens=170)

# Image models: USD per generated image, by (quality, size).  Output cost only;
# the prompt's text-input tokens add well under $0.001 at our prompt sizes.
IMAGE_PRICES: Mapping[str, Mapping[tuple[str, str], float]] = {
    # gpt-image-2.6-*: image output $30 / 1M tokens like gpt-image-2 (model page, read 2026-12-06), so the
    # same tokens per image give the same per-image estimates.
    "gpt-image-2.6-flare": {("low", "1024x1024"): 0.006, ("medium", "1024x1024"): 0.053, ("high", "1024x1024"): 0.211},
    "gpt-image-2.6-sunburst": {("low", "1024x1024"): 0.006, ("medium", "1024x1024"): 0.053, ("high", "1024x1024"): 0.211},
    "gpt-image-2": {("low", "1024x1024"): 0.006, ("medium", "1024x1024"): 0.053, ("high", "1024x1024"): 0.211},
    "gpt-image-1.5": {("low", "1024x1024"): 0.009, ("medium", "1024x1024"): 0.034, ("high", "1024x1024"): 0.133},
    "gpt-image-1": {("low", "1024x1024"): 0.011, ("medium", "1024x1024"): 0.042, ("high", "1024x1024"): 0.167},
    "gpt-image-1-mini": {("low", "1024x1024"): 0.005, ("medium", "1024x1024"): 0.011, ("high", "1024x1024"): 0.036},
    "dall-e-3": {("standard", "1024x1024"): 0.040, ("hd", "1024x1024"): 0.080},
}
UNKNOWN_IMAGE_PRICE = 0.25  # per image, for a model/quality/size not in the table (high side)

_SNAPSHOT = re.compile(r"^(.*?)-\d{4}-\d{2}-\d{2}$")


def _base_model(model: str) -> str:
    m = _SNAPSHOT.match(model)
    return m.group(1) if m else model


def text_price(model: str) -> tuple[TextPrice, bool]:
    """(price, known) for a chat model; a dated snapshot is priced as its family."""
    price = TEXT_PRICES.get(model) or TEXT_PRICES.get(_base_model(model))
    return (price, True) if price is not None else (UNKNOWN_TEXT_PRICE, False)


def image_price(model: str, quality: str, size: str) -> tuple[float, bool]:
    """(USD per image, known) for an image model at a quality and size."""
    table = IMAGE_PRICES.get(model) or IMAGE_PRICES.get(_base_model(model)) or {}
    if (quality, size) in table:
        return table[(quality, size)], True
    return UNKNOWN_IMAGE_PRICE, False


def image_input_tokens(model: str, width: int, height: int, detail: str = "high") -> int:
    """Estimated input tokens for one image of ``width`` x ``height`` sent to a chat model."""
    price, _ = text_price(model)
    if price.image_rule == "patch":
        patches = math.ceil(width / 32) * math.ceil(height / 32)
        if patches > 1536:  # the image is scaled down to fit 1536 patches
            scale = math.sqrt(1536 * 32 * 32 / (width * height))
            patches = min(1536, math.ceil(width * scale / 32) * math.ceil(height * scale / 32))
        return math.ceil(patches * price.image_multiplier)
    if detail == "low":
        return price.image_base_tokens
    w, h = float(width), float(height)
    if max(w, h) > 2048:  # fit in 2048 x 2048
        s = 2048 / max(w, h)
        w, h = w * s, h * s
    if min(w, h) > 768:  # shortest side to 768
        s = 768 / min(w, h)
        w, h = w * s, h * s
    tiles = math.ceil(w / 512) * math.ceil(h / 512)
    return price.image_base_tokens + price.image_tile_tokens * tiles


def text_cost(model: str, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> float:
    """Estimated USD for one chat call from its token counts."""
    price, _ = text_price(model)
    cached = min(max(cached_tokens, 0), input_tokens)
    cached_rate = price.cached_input_per_mtok if price.cached_input_per_mtok is not None else price.input_per_mtok
    return (
        (input_tokens - cached) * price.input_per_mtok + cached * cached_rate + output_tokens * price.output_per_mtok
    ) / 1e6


# ---------------------------------------------------------------------------
# Cost estimates without calling (semenc --dry-run / --max-cost)
# ---------------------------------------------------------------------------

DEFAULT_MAX_IMAGE_PX = 512  # the describer sends the image downscaled to this long side
DEFAULT_BUDGET_BYTES = 300  # canonical-text budget assumed when none is given
EXPECTED_REASONING_TOKENS = 256  # reasoning tokens assumed per call at effort "low" (an estimate)


def scaled_size(image_px: int | tuple[int, int], max_px: int = DEFAULT_MAX_IMAGE_PX) -> tuple[int, int]:
    """The (width, height) actually sent for an image of ``image_px`` (side or (w, h))."""
    w, h = (image_px, image_px) if isinstance(image_px, int) else image_px
    if max(w, h) > max_px:
        s = max_px / max(w, h)
        w, h = max(1, round(w * s)), max(1, round(h * s))
    return w, h


def output_token_cap(m: int, max_text_bytes: int) -> int:
    """``max_completion_tokens`` for m prompts of max_text_bytes: generous, but a cost ceiling."""
    return 64 + m * (max_text_bytes // 2 + 96)


def expected_output_tokens(m: int, max_text_bytes: int) -> int:
    return 16 + m * (max_text_bytes // 4 + 40)  # ~4 bytes per token of English, plus JSON keys


def _text_tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / 4) + 20


def estimate_describe_cost(
    model: str,
    m: int,
    image_px: int | tuple[int, int] = DEFAULT_MAX_IMAGE_PX,
    *,
    max_text_bytes: int = DEFAULT_BUDGET_BYTES,
    max_image_px: int = DEFAULT_MAX_IMAGE_PX,
    detail: str = "high",
    images: int = 1,
) -> float:
    """Estimated USD of one describe or refine call (``images`` attached); nothing is sent.

    ``image_px`` is the original image's side (square) or ``(width, height)``;
    it is priced at the size actually sent (long side <= ``max_image_px``).
    A refine call with visual feedback sends ``images=2``: the original and
    the best render (resized to the original's size, so priced the same).  A
    reasoning model's reasoning tokens are billed as output: an allowance of
    ``EXPECTED_REASONING_TOKENS`` is added.
    """
    from .instructions import describe_instructions

    w, h = scaled_size(image_px, max_image_px)
    # instructions + the best prompt (refine shows it as JSON and as text) + the image
    tokens_in = _text_tokens(describe_instructions(m, max_text_bytes)) + max_text_bytes // 2
    tokens_in += images * image_input_tokens(model, w, h, detail)
    tokens_out = expected_output_tokens(m, max_text_bytes)
    from ..registry import text_model

    spec = text_model(model)
    if spec is not None and spec.reasoning:
        tokens_out += EXPECTED_REASONING_TOKENS
    return text_cost(model, tokens_in, tokens_out)


def estimate_compress_cost(model: str, max_text_bytes: int = DEFAULT_BUDGET_BYTES) -> float:
    """Estimated USD of one compress call (text only); nothing is sent."""
    from .instructions import describe_instructions

    tokens_in = _text_tokens(describe_instructions(1, max_text_bytes)) + max_text_bytes // 2
    return text_cost(model, tokens_in, expected_output_tokens(1, max_text_bytes))


# ---------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------


def resolve_api_key(api_key: str | None) -> str:
    """The API key to use, or :class:`MissingError` at once (no request is made)."""
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
    if not key or not key.strip():
        raise MissingError(f"no OpenAI API key: {KEY_HINT}")
    return key


def make_client(api_key: str | None = None, base_url: str | None = None, timeout: float = 60.0) -> Any:
    """The real ``openai.OpenAI`` client, with its built-in retries disabled.

    ``base_url`` defaults to ``$OPENAI_BASE_URL`` and then to OpenAI's own
    endpoint (the client's rule); ``api_key`` defaults to ``$OPENAI_API_KEY``.
    """
    key = resolve_api_key(api_key)
    try:
        import openai
    except ImportError:
        raise MissingError(INSTALL_HINT) from None
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    try:
        return openai.OpenAI(api_key=key, base_url=base_url, timeout=float(timeout), max_retries=0)
    except openai.OpenAIError as exc:
        raise MissingError(f"cannot set up the OpenAI client: {_one_line(str(exc))}") from None


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error_fields(exc: Any) -> tuple[str, str, str]:
    """(message, code, type) from an ``openai.APIStatusError`` body, best effort."""
    body = getattr(exc, "body", None)
    message = code = kind = ""
    if isinstance(body, dict):
        message = str(body.get("message") or "")
        code = str(body.get("code") or "")
        kind = str(body.get("type") or "")
    elif isinstance(body, str):
        message = body
    if not message:
        message = str(getattr(exc, "message", "") or exc)
    return _one_line(message), code, kind


_UNAVAILABLE = re.compile(r"deprecat|does not exist|not found|retired|shut ?down|no longer (available|supported)", re.I)
_POLICY_CODES = {"content_policy_violation", "moderation_blocked", "content_filter"}
_POLICY_TEXT = re.compile(r"content[ _]policy|safety system|moderation", re.I)


def working_decoders(today: str | None = None) -> list[str]:
    """Decoders for photographs whose model is not yet shut down (retirement date after today)."""
    import datetime

    from ..registry import DECODERS

    today = today or datetime.date.today().isoformat()
    return [d.name for d in DECODERS if d.family != "synthetic" and (d.retired is None or d.retired > today)]


def unavailable_message(
    model: str, retired_on: str | None = None, alternatives: list[str] | None = None, hint: str | None = None
) -> str:
    """"model X is not available at this endpoint (OpenAI retired it on DATE); working decoders: ..."

    ``alternatives`` defaults to the registry's working decoders; with
    ``hint`` given, the hint replaces the list.
    """
    when = ""
    if retired_on:
        past = retired_on <= datetime.date.today().isoformat()
        when = f" (OpenAI retired it on {retired_on})" if past else f" (OpenAI shuts it down on {retired_on})"
    if hint is not None:
        return f"model {model} is not available at this endpoint{when}; {hint}"
    alts = alternatives if alternatives is not None else working_decoders()
    tail = f"; working decoders: {', '.join(alts)}" if alts else ""
    return f"model {model} is not available at this endpoint{when}{tail}"


def is_retryable(exc: BaseException) -> bool:
    """429 (except an exhausted quota), 5xx, 408/409, timeouts and connection errors."""
    import openai

    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429:
            return _error_fields(exc)[1] != "insufficient_quota"
        return exc.status_code >= 500 or exc.status_code in (408, 409)
    return False


def map_error(
    exc: BaseException,
    *,
    model: str,
    retired_on: str | None = None,
    alternatives: list[str] | None = None,
    hint: str | None = None,
    attempts: int = 1,
    timeout: float | None = None,
) -> SemError:
    """One-line :class:`SemError` for an exception raised by the ``openai`` client."""
    import openai

    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}" if attempts > 1 else ""
    if isinstance(exc, openai.APITimeoutError):
        limit = f" after {timeout:g} s" if timeout else ""
        return BackendError(f"OpenAI request for {model} timed out{limit}{tries}; try again later or raise the timeout")
    if isinstance(exc, openai.APIConnectionError):
        where = ""
        request = getattr(exc, "request", None)
        if request is not None:
            where = f" at {request.url.scheme}://{request.url.host}" + (f":{request.url.port}" if request.url.port else "")
        return BackendError(f"cannot reach the OpenAI API{where}{tries}: {_one_line(str(exc))}")
    if not isinstance(exc, openai.APIStatusError):
        return BackendError(f"OpenAI call for {model} failed: {_one_line(str(exc)) or type(exc).__name__}")
    status = exc.status_code
    message, code, kind = _error_fields(exc)
    if status == 401:
        return MissingError(f"OpenAI rejected the API key (401): {message}; {KEY_HINT}")
    if status == 403:
        return BackendError(f"OpenAI denied access to {model} (403): {message}")
    if status == 429 and code == "insufficient_quota":
        return BackendError(f"OpenAI quota exhausted (429 insufficient_quota): {message}")
    if code in _POLICY_CODES or (status == 400 and _POLICY_TEXT.search(message)):
        return BackendError(f"OpenAI refused the prompt (content policy): {message}")
    wrong_path = status == 404 and message.startswith("Invalid URL")  # OpenAI's answer to an unknown path
    if status in (400, 404) and not wrong_path and (code == "model_not_found" or status == 404 or _UNAVAILABLE.search(message)):
        return ModelUnavailableError(unavailable_message(model, retired_on, alternatives, hint))
    if status == 429 or status >= 500 or status in (408, 409):
        return BackendError(f"OpenAI request for {model} failed{tries}; last status {status}: {message}")
    return BackendError(f"OpenAI rejected the request for {model} ({status}{' ' + code if code else ''}): {message}")


# ---------------------------------------------------------------------------
# Retries
# ---------------------------------------------------------------------------


@dataclass
class RetryPolicy:
    """Exponential backoff: delay_i = min(max_delay, base_delay * 2**i), or Retry-After if longer."""

    max_retries: int = 3  # attempts = max_retries + 1
    base_delay: float = 1.0
    max_delay: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if not (isinstance(self.max_retries, int) and self.max_retries >= 0):
            raise ValueError(f"max_retries must be an integer >= 0, not {self.max_retries!r}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must be >= 0")

    def delay(self, attempt: int, exc: BaseException | None = None) -> float:
        d = min(self.max_delay, self.base_delay * (2**attempt))
        hinted = _retry_after(exc)
        if hinted is not None:
            d = max(d, min(hinted, self.max_delay))
        return d


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


def call_with_retries(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    model: str,
    retired_on: str | None = None,
    alternatives: list[str] | None = None,
    hint: str | None = None,
    timeout: float | None = None,
    delays: list[float] | None = None,
) -> T:
    """Run ``fn`` (one API request); retry what :func:`is_retryable` allows, map the rest.

    Each backoff delay is passed to ``policy.sleep`` and appended to ``delays``
    when given.  Raises a one-line :class:`SemError`.
    """
    import openai

    attempt = 0
    while True:
        try:
            return fn()
        except openai.OpenAIError as exc:
            if is_retryable(exc) and attempt < policy.max_retries:
                wait = policy.delay(attempt, exc)
                if delays is not None:
                    delays.append(wait)
                policy.sleep(wait)
                attempt += 1
                continue
            raise map_error(
                exc,
                model=model,
                retired_on=retired_on,
                alternatives=alternatives,
                hint=hint,
                attempts=attempt + 1,
                timeout=timeout,
            ) from None
        except json.JSONDecodeError as exc:  # a 2xx answer whose body is not JSON (a proxy, a broken server)
            raise BackendError(f"OpenAI returned a response for {model} that is not valid JSON: {exc.msg} at char {exc.pos}") from None
