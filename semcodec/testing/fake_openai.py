"""A local fake of the OpenAI HTTP API, for tests of the OpenAI backends.

It listens on 127.0.0.1 (a free port) and speaks the real API's JSON for

* ``POST /v1/chat/completions`` (messages with ``image_url`` content parts,
  ``response_format`` of type ``json_schema``),
* ``POST /v1/responses`` (``instructions`` and ``input`` items with
  ``input_text`` / ``input_image`` parts, ``text.format`` of type
  ``json_schema``; answers with ``output`` message items and ``usage``), and
* ``POST /v1/images/generations`` in both request shapes: DALL-E 3
  (``quality`` standard/hd, ``style``, ``response_format``, returns
  ``revised_prompt``) and gpt-image (``quality`` low/medium/high/auto, no
  ``style``/``response_format``, always ``b64_json``, returns ``usage``).

Like the real API it refuses requests of the wrong shape with a 400 error
body (``strict=True``), so a test passes only if the client sends what OpenAI
would accept: a reasoning model (gpt-5*, gpt-6*, o*) refuses ``temperature``
and ``top_p`` unless its reasoning effort is ``none``, and an older model
refuses a reasoning effort.  Each recorded request knows how many images it
carried (:attr:`RecordedRequest.images`).  Responses can be scripted with :class:`Reply` objects (status
codes, error bodies, delays, raw bytes); when the script is empty a valid
answer is made up.  Every request is recorded in :attr:`FakeOpenAI.requests`.

Use it as a context manager::

    with FakeOpenAI() as fake:
        fake.push(Reply.error(429, "slow down"), route="images")
        client = openai.OpenAI(api_key="sk-test", base_url=fake.base_url)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

ROUTES = {"/v1/chat/completions": "chat", "/v1/responses": "responses", "/v1/images/generations": "images"}
REASONING_PREFIXES = ("gpt-5", "gpt-6", "gpt-7", "o1", "o3", "o4")
REASONING_EFFORTS = {"none", "minimal", "low", "medium", "high", "xhigh", "max"}

DALLE_SIZES = {"dall-e-3": {"1024x1024", "1792x1024", "1024x1792"}, "dall-e-2": {"256x256", "512x512", "1024x1024"}}
GPT_IMAGE_SIZES = {"1024x1024", "1536x1024", "1024x1536", "auto"}
GPT_IMAGE_QUALITIES = {"low", "medium", "high", "auto"}
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class Reply:
    """One scripted answer.  ``body=None`` with status 200 means "the normal answer"."""

    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes -> sent as is; None -> default answer (200) / error body
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    route: str | None = None  # "chat", "images" or None for any

    @classmethod
    def error(
        cls,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        route: str | None = None,
    ) -> "Reply":
        body = {"error": {"message": message, "type": type, "param": param, "code": code}}
        return cls(status, body, dict(headers or {}), route=route)

    @classmethod
    def rate_limited(cls, retry_after: float | None = None, route: str | None = None) -> "Reply":
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        return cls.error(
            429,
            "Rate limit reached for requests. Please try again later.",
            type="requests",
            code="rate_limit_exceeded",
            headers=headers,
            route=route,
        )

    @classmethod
    def server_error(cls, status: int = 500, route: str | None = None) -> "Reply":
        return cls.error(status, "The server had an error while processing your request. Sorry about that!", type="server_error", route=route)

    @classmethod
    def content_policy(cls, code: str = "content_policy_violation", route: str | None = None) -> "Reply":
        return cls.error(
            400,
            "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
            code=code,
            route=route,
        )

    @classmethod
    def model_not_found(cls, model: str, route: str | None = None) -> "Reply":
        return cls.error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
            route=route,
        )

    @classmethod
    def deprecated(cls, model: str, route: str | None = None) -> "Reply":
        return cls.error(
            404,
            f"The model `{model}` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations",
            code="model_not_found",
            route=route,
        )

    @classmethod
    def chat(cls, content: str | None, *, refusal: str | None = None, finish_reason: str = "stop",
             usage: dict | None = None, route: str = "chat") -> "Reply":
        """A 200 chat completion whose message content is ``content`` (any text, e.g. malformed JSON)."""
        return cls(200, {"_chat_content": content, "_refusal": refusal, "_finish_reason": finish_reason, "_usage": usage}, route=route)

    @classmethod
    def slow(cls, delay: float, route: str | None = None) -> "Reply":
        """The normal answer, after ``delay`` seconds."""
        return cls(200, None, delay=delay, route=route)

    @classmethod
    def raw(cls, status: int, data: bytes, content_type: str = "application/json", route: str | None = None) -> "Reply":
        return cls(status, bytes(data), {"content-type": content_type}, route=route)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # decoded JSON, or the raw bytes if not JSON
    route: str | None
    time: float

    @property
    def images(self) -> int:
        """How many images the request carried (chat ``image_url`` or responses ``input_image`` parts)."""
        return count_images(self.body)


def count_images(body: Any) -> int:
    if not isinstance(body, dict):
        return 0
    n = 0
    for msg in list(body.get("messages") or []) + (body.get("input") if isinstance(body.get("input"), list) else []):
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, list):
            n += sum(1 for part in content if isinstance(part, dict) and part.get("type") in ("image_url", "input_image"))
    return n


def png_bytes(width: int, height: int, seed: str = "", mode: str = "RGB") -> bytes:
    """A small-to-encode PNG: a two-colour pattern whose colours depend on ``seed``."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    a, b = tuple(digest[:3]), tuple(digest[3:6])
    img = Image.new("RGB", (width, height), a)
    ImageDraw.Draw(img).rectangle([width // 4, height // 4, 3 * width // 4, 3 * height // 4], fill=b)
    if mode != "RGB":
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _strict_schema_problem(schema: Any, where: str = "schema") -> str | None:
    """Why ``schema`` is not usable with ``strict: true`` (OpenAI's rules), or None."""
    if not isinstance(schema, dict):
        return f"{where} must be an object"
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "object" in types:
        props = schema.get("properties")
        if not isinstance(props, dict):
            return f"{where}: an object schema needs 'properties'"
        if schema.get("additionalProperties") is not False:
            return f"{where}: 'additionalProperties' is required to be supplied and to be false"
        required = schema.get("required")
        if not isinstance(required, list) or set(required) != set(props):
            return f"{where}: 'required' is required to be supplied and to be an array including every key in properties"
        for key, sub in props.items():
            problem = _strict_schema_problem(sub, f"{where}.properties.{key}")
            if problem:
                return problem
    if "array" in types:
        problem = _strict_schema_problem(schema.get("items"), f"{where}.items")
        if problem:
            return problem
    for t in types:
        if t not in ("object", "array", "string", "number", "integer", "boolean", "null"):
            return f"{where}: unsupported type {t!r}"
    return None


def _default_prompts(m: int, seed: str) -> dict:
    tag = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:6]
    return {
        "prompts": [
            {
                "scene": f"a quiet harbour at dusk, variant {i + 1} ({tag})",
                "objects": ["red fishing boat", "wooden pier"],
                "lighting": "low warm sun",
                "style": None,
            }
            for i in range(m)
        ]
    }


class FakeOpenAI:
    """A scriptable fake OpenAI endpoint on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        retired: set[str] | frozenset[str] = frozenset(),
        strict: bool = True,
        image_mode: str = "RGB",
        chat_content: Callable[[dict], str] | None = None,
    ) -> None:
        self.api_key = api_key  # when set, other keys get 401
        self.retired = set(retired)  # models answered with 404 model_not_found
        self.strict = strict  # refuse requests of the wrong shape, like the real API
        self.image_mode = image_mode
        self.chat_content = chat_content  # request body -> message content (default: valid prompts)
        self.requests: list[RecordedRequest] = []
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> "FakeOpenAI":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # silence stderr
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes handlers that are delaying
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # -- scripting -----------------------------------------------------------
    def push(self, *replies: Reply, route: str | None = None) -> None:
        """Queue replies (first in, first out); ``route`` applies to those without one."""
        with self._lock:
            for r in replies:
                if route is not None and r.route is None:
                    r = Reply(r.status, r.body, dict(r.headers), r.delay, route)
                self._script.append(r)

    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def requests_to(self, route: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.route == route]

    def _next_reply(self, route: str | None) -> Reply | None:
        with self._lock:
            for i, r in enumerate(self._script):
                if r.route is None or r.route == route:
                    return self._script.pop(i)
        return None

    # -- HTTP ------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        path = h.path.split("?", 1)[0]
        route = ROUTES.get(path)
        with self._lock:
            self.requests.append(
                RecordedRequest(h.command, path, {k.lower(): v for k, v in h.headers.items()}, body, route, time.time())
            )
        reply = self._next_reply(route)
        if reply is not None and reply.delay > 0:
            if self._stop.wait(reply.delay):
                return
        status, payload, headers = self._answer(h, route, body, reply)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        try:
            h.send_response(status)
            h.send_header("content-type", headers.pop("content-type", "application/json"))
            h.send_header("content-length", str(len(data)))
            h.send_header("x-request-id", f"req_fake_{len(self.requests)}")
            for k, v in headers.items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            return

    def _answer(self, h: BaseHTTPRequestHandler, route: str | None, body: Any, reply: Reply | None):
        def err(status: int, message: str, code: str | None = None, param: str | None = None, type: str = "invalid_request_error"):
            return status, {"error": {"message": message, "type": type, "param": param, "code": code}}, {}

        scripted_chat = reply is not None and isinstance(reply.body, dict) and "_chat_content" in reply.body
        if reply is not None and (reply.status != 200 or (reply.body is not None and not scripted_chat)):
            payload = reply.body if reply.body is not None else {"error": {"message": f"HTTP {reply.status}", "type": "server_error", "param": None, "code": None}}
            return reply.status, payload, dict(reply.headers)
        if self.api_key is not None and h.headers.get("authorization") != f"Bearer {self.api_key}":
            return err(401, "Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key")
        if route is None or h.command != "POST":
            return err(404, f"Invalid URL ({h.command} {h.path})")
        if not isinstance(body, dict):
            return err(400, "We could not parse the JSON body of your request.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return err(400, "you must provide a model parameter", param="model")
        if model in self.retired:
            return err(404, f"The model `{model}` does not exist or you do not have access to it.", "model_not_found")
        if route in ("chat", "responses"):
            problem = self._reasoning_problem(body, route)
            if problem and self.strict:
                return err(400, *problem)
        if route == "chat":
            return self._chat(body, reply, err)
        if route == "responses":
            return self._responses(body, reply, err)
        return self._images(body, reply, err)

    @staticmethod
    def _reasoning_problem(body: dict, route: str) -> tuple | None:
        """(message, code, param) if the sampling / reasoning parameters do not suit the model."""
        model = body["model"]
        reasoning = model.startswith(REASONING_PREFIXES)
        if route == "chat":
            effort, param = body.get("reasoning_effort"), "reasoning_effort"
        else:
            r = body.get("reasoning")
            effort, param = (r.get("effort") if isinstance(r, dict) else None), "reasoning.effort"
        if effort is not None:
            if not reasoning:
                return (f"Unsupported parameter: '{param}' is not supported with this model.", "unsupported_parameter", param)
            if effort not in REASONING_EFFORTS:
                return (f"Invalid value: {effort!r} for '{param}'.", "invalid_value", param)
        if reasoning and (effort or "medium") != "none":
            for sampling in ("temperature", "top_p"):
                if sampling in body and body[sampling] not in (None, 1):
                    return (f"Unsupported parameter: '{sampling}' is not supported with this model.",
                            "unsupported_parameter", sampling)
        return None

    # -- /v1/chat/completions ----------------------------------------------------
    def _chat(self, body: dict, reply: Reply | None, err: Callable):
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return err(400, "'messages' must be a non-empty array", param="messages")
        images = 0
        for i, msg in enumerate(messages):
            if not isinstance(msg, dict) or msg.get("role") not in ("system", "developer", "user", "assistant", "tool"):
                return err(400, f"Invalid value for 'messages[{i}].role'", param=f"messages[{i}].role")
            content = msg.get("content")
            if isinstance(content, list):
                for j, part in enumerate(content):
                    where = f"messages[{i}].content[{j}]"
                    kind = part.get("type") if isinstance(part, dict) else None
                    if kind == "text" and isinstance(part.get("text"), str):
                        continue
                    if kind == "image_url" and isinstance(part.get("image_url"), dict):
                        url = part["image_url"].get("url")
                        problem = self._image_url_problem(url)
                        if problem and self.strict:
                            return err(400, problem, "invalid_image_url", param=f"{where}.image_url")
                        images += 1
                        continue
                    if self.strict:
                        return err(400, f"Invalid content part at '{where}'", param=where)
            elif not isinstance(content, str):
                return err(400, f"Invalid type for 'messages[{i}].content'", param=f"messages[{i}].content")
        m = 1
        fmt = body.get("response_format")
        if fmt is not None:
            kind = fmt.get("type") if isinstance(fmt, dict) else None
            if kind == "json_schema":
                js = fmt.get("json_schema")
                if not isinstance(js, dict) or not isinstance(js.get("name"), str) or not _NAME.match(js["name"]):
                    return err(400, "Invalid 'response_format.json_schema.name'", param="response_format.json_schema.name")
                schema = js.get("schema")
                if js.get("strict") is True and self.strict:
                    problem = _strict_schema_problem(schema)
                    if problem:
                        return err(400, f"Invalid schema for response_format '{js['name']}': {problem}", param="response_format")
                try:
                    m = int(schema["properties"]["prompts"]["minItems"])
                except (KeyError, TypeError, ValueError):
                    m = 1
            elif kind not in ("text", "json_object"):
                return err(400, "Invalid 'response_format.type'", param="response_format.type")
        scripted = reply.body if reply is not None and isinstance(reply.body, dict) and "_chat_content" in reply.body else None
        if scripted is not None:
            content = scripted["_chat_content"]
            refusal = scripted["_refusal"]
            finish = scripted["_finish_reason"]
            usage = scripted["_usage"]
        else:
            refusal, finish, usage = None, "stop", None
            if self.chat_content is not None:
                content = self.chat_content(body)
            elif fmt is not None and fmt.get("type") == "json_schema":
                content = json.dumps(_default_prompts(m, json.dumps(messages)[-200:]))
            else:
                content = "This is a fake reply."
        if usage is None:
            text_chars = len(re.sub(r'"data:image/[^"]*"', '""', json.dumps(messages)))
            prompt_tokens = text_chars // 4 + 415 * images
            completion_tokens = len(content or "") // 4 + 1
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": 0},
            }
        return 200, {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "finish_reason": finish,
                    "logprobs": None,
                }
            ],
            "usage": usage,
        }, {}

    # -- /v1/responses --------------------------------------------------------------
    def _responses(self, body: dict, reply: Reply | None, err: Callable):
        items = body.get("input")
        if isinstance(items, str):
            items = [{"role": "user", "content": items}]
        if not isinstance(items, list) or not items:
            return err(400, "'input' must be a string or a non-empty array", param="input")
        if body.get("instructions") is not None and not isinstance(body.get("instructions"), str):
            return err(400, "Invalid type for 'instructions'", param="instructions")
        images = 0
        for i, item in enumerate(items):
            if not isinstance(item, dict) or item.get("role") not in ("system", "developer", "user", "assistant"):
                return err(400, f"Invalid value for 'input[{i}].role'", param=f"input[{i}].role")
            content = item.get("content")
            if isinstance(content, list):
                for j, part in enumerate(content):
                    where = f"input[{i}].content[{j}]"
                    kind = part.get("type") if isinstance(part, dict) else None
                    if kind in ("input_text", "output_text") and isinstance(part.get("text"), str):
                        continue
                    if kind == "input_image" and item["role"] != "assistant":
                        problem = self._image_url_problem(part.get("image_url"))
                        if problem and self.strict:
                            return err(400, problem, "invalid_image_url", param=f"{where}.image_url")
                        if part.get("detail", "auto") not in ("low", "high", "auto", "original") and self.strict:
                            return err(400, f"Invalid value for '{where}.detail'", param=f"{where}.detail")
                        images += 1
                        continue
                    if self.strict:
                        return err(400, f"Invalid content part at '{where}' (type {kind!r})", param=where)
            elif not isinstance(content, str):
                return err(400, f"Invalid type for 'input[{i}].content'", param=f"input[{i}].content")
        for old in ("messages", "response_format", "max_completion_tokens", "reasoning_effort"):
            if old in body and self.strict:
                return err(400, f"Unknown parameter: '{old}'.", "unknown_parameter", param=old)
        m, fmt = 1, None
        text = body.get("text")
        if text is not None:
            fmt = text.get("format") if isinstance(text, dict) else None
            kind = fmt.get("type") if isinstance(fmt, dict) else None
            if kind == "json_schema":
                if not isinstance(fmt.get("name"), str) or not _NAME.match(fmt["name"]):
                    return err(400, "Invalid 'text.format.name'", param="text.format.name")
                if fmt.get("strict") is True and self.strict:
                    problem = _strict_schema_problem(fmt.get("schema"))
                    if problem:
                        return err(400, f"Invalid schema for response_format '{fmt['name']}': {problem}", param="text.format.schema")
                try:
                    m = int(fmt["schema"]["properties"]["prompts"]["minItems"])
                except (KeyError, TypeError, ValueError):
                    m = 1
            elif kind not in ("text", "json_object"):
                return err(400, "Invalid 'text.format.type'", param="text.format.type")
        scripted = reply.body if reply is not None and isinstance(reply.body, dict) and "_chat_content" in reply.body else None
        refusal, usage = None, None
        if scripted is not None:
            content, refusal, usage = scripted["_chat_content"], scripted["_refusal"], scripted["_usage"]
        elif self.chat_content is not None:
            content = self.chat_content(body)
        elif fmt is not None and fmt.get("type") == "json_schema":
            content = json.dumps(_default_prompts(m, json.dumps(items)[-200:]))
        else:
            content = "This is a fake reply."
        if usage is None:
            text_chars = len(re.sub(r'"data:image/[^"]*"', '""', json.dumps(items))) + len(body.get("instructions") or "")
            input_tokens = text_chars // 4 + 256 * images
            reasoning_tokens = 64 if isinstance(body.get("reasoning"), dict) else 0
            output_tokens = len(content or "") // 4 + 1 + reasoning_tokens
            usage = {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
                     "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
                     "total_tokens": input_tokens + output_tokens}
        part = ({"type": "refusal", "refusal": refusal} if refusal
                else {"type": "output_text", "text": content or "", "annotations": []})
        output = [] if content is None and not refusal else [
            {"type": "message", "id": "msg_fake", "status": "completed", "role": "assistant", "content": [part]}]
        return 200, {
            "id": "resp_fake",
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": body["model"],
            "output": output,
            "usage": usage,
        }, {}

    @staticmethod
    def _image_url_problem(url: Any) -> str | None:
        if not isinstance(url, str):
            return "image_url.url must be a string"
        if url.startswith(("http://", "https://")):
            return None
        m = re.match(r"^data:image/(png|jpeg|gif|webp);base64,(.*)$", url, re.DOTALL)
        if not m:
            return "Invalid image URL: expected an https URL or a base64 data URL (data:image/...;base64,...)"
        try:
            data = base64.b64decode(m.group(2), validate=True)
        except (binascii.Error, ValueError):
            return "Invalid base64 image data"
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as im:
                im.verify()
        except (UnidentifiedImageError, OSError, SyntaxError):
            return "You uploaded an unsupported image. Please make sure your image is valid."
        return None

    # -- /v1/images/generations --------------------------------------------------
    def _images(self, body: dict, reply: Reply | None, err: Callable):
        model = body["model"]
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return err(400, "'prompt' is required and must be a non-empty string", param="prompt")
        n = body.get("n", 1)
        dalle = model.startswith("dall-e")
        size = body.get("size") or ("1024x1024" if dalle else "auto")
        if self.strict:
            if not isinstance(n, int) or not 1 <= n <= 10 or (model == "dall-e-3" and n != 1):
                return err(400, f"Invalid 'n': {n!r}" + (" (dall-e-3 supports n=1 only)" if model == "dall-e-3" else ""), param="n")
            if dalle:
                quality = body.get("quality", "standard")
                if quality not in ("standard", "hd"):
                    return err(400, f"Invalid value for 'quality': {quality!r}; supported values are 'standard' and 'hd'", param="quality")
                if body.get("style", "vivid") not in ("vivid", "natural"):
                    return err(400, "Invalid value for 'style'", param="style")
                if body.get("response_format", "url") not in ("url", "b64_json"):
                    return err(400, "Invalid value for 'response_format'", param="response_format")
                if size not in DALLE_SIZES.get(model, {"1024x1024"}):
                    return err(400, f"Invalid value for 'size': {size!r}", param="size")
            else:
                for bad in ("style", "response_format"):
                    if bad in body:
                        return err(400, f"Unknown parameter: '{bad}'.", "unknown_parameter", param=bad)
                quality = body.get("quality", "auto")
                if quality not in GPT_IMAGE_QUALITIES:
                    return err(400, f"Invalid value: {quality!r}. Supported values are: 'low', 'medium', 'high', and 'auto'.", "invalid_value", param="quality")
                ok = size in GPT_IMAGE_SIZES or (
                    model.startswith("gpt-image-2") and re.fullmatch(r"\d+x\d+", str(size))
                    and all(int(v) % 16 == 0 for v in str(size).split("x"))
                )
                if not ok:
                    return err(400, f"Invalid value for 'size': {size!r}", "invalid_value", param="size")
        width, height = (1024, 1024) if size == "auto" else (int(v) for v in str(size).split("x"))
        items = []
        for i in range(n if isinstance(n, int) and n > 0 else 1):
            png = png_bytes(width, height, f"{prompt}#{len(self.requests)}#{i}", self.image_mode)
            if dalle and body.get("response_format", "url") == "url":
                item: dict[str, Any] = {"url": "https://example.invalid/fake.png"}
            else:
                item = {"b64_json": base64.b64encode(png).decode("ascii")}
            if dalle:
                item["revised_prompt"] = f"A detailed picture: {prompt}"
            items.append(item)
        out: dict[str, Any] = {"created": int(time.time()), "data": items}
        if not dalle:
            text_tokens = max(1, len(prompt) // 4)
            out.update(
                {
                    "background": "opaque",
                    "output_format": "png",
                    "quality": body.get("quality", "auto") if body.get("quality") != "auto" else "high",
                    "size": f"{width}x{height}",
                    "usage": {
                        "input_tokens": text_tokens,
                        "input_tokens_details": {"image_tokens": 0, "text_tokens": text_tokens},
                        "output_tokens": 4160,
                        "total_tokens": text_tokens + 4160,
                    },
                }
            )
        return 200, out, {}
