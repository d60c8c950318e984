"""The fake OpenAI server itself: it must refuse what the real API refuses."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

import pytest

from semcodec.backends.instructions import prompt_json_schema
from semcodec.testing.fake_openai import FakeOpenAI, Reply, png_bytes


def post(fake, path, body, key="sk-test", timeout=5.0):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(
        fake.base_url + path, data=data, headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


@pytest.fixture
def fake():
    with FakeOpenAI(api_key="sk-test") as server:
        yield server


def data_url() -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(8, 8)).decode()


@pytest.mark.parametrize(
    "body, param",
    [
        ({"model": "gpt-image-2", "prompt": "x", "style": "natural"}, "style"),
        ({"model": "gpt-image-2", "prompt": "x", "response_format": "b64_json"}, "response_format"),
        ({"model": "gpt-image-2", "prompt": "x", "quality": "hd"}, "quality"),
        ({"model": "gpt-image-1", "prompt": "x", "size": "1000x1000"}, "size"),
        ({"model": "dall-e-3", "prompt": "x", "n": 2}, "n"),
        ({"model": "dall-e-3", "prompt": "x", "quality": "high"}, "quality"),
        ({"model": "dall-e-3", "prompt": ""}, "prompt"),
    ],
)
def test_images_refuses_wrong_shapes(fake, body, param):
    status, out = post(fake, "/images/generations", body)
    assert status == 400 and out["error"]["param"] == param


def test_images_answers_both_shapes(fake):
    status, out = post(fake, "/images/generations", {"model": "gpt-image-2", "prompt": "x", "size": "1536x1024", "quality": "low"})
    assert status == 200 and "revised_prompt" not in out["data"][0] and out["usage"]["output_tokens"] > 0
    assert base64.b64decode(out["data"][0]["b64_json"]).startswith(b"\x89PNG")
    status, out = post(fake, "/images/generations", {"model": "dall-e-3", "prompt": "x", "response_format": "b64_json", "quality": "hd", "style": "vivid"})
    assert status == 200 and out["data"][0]["revised_prompt"] and "usage" not in out


def test_chat_checks_strict_schema_and_image_parts(fake):
    schema = prompt_json_schema(2)
    msgs = [{"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": data_url()}}]}]
    fmt = {"type": "json_schema", "json_schema": {"name": "p", "strict": True, "schema": schema}}
    status, out = post(fake, "/chat/completions", {"model": "gpt-4.1-mini", "messages": msgs, "response_format": fmt})
    assert status == 200
    assert len(json.loads(out["choices"][0]["message"]["content"])["prompts"]) == 2
    assert out["usage"]["prompt_tokens"] >= 415

    loose = json.loads(json.dumps(schema))
    del loose["properties"]["prompts"]["items"]["additionalProperties"]
    fmt_bad = {"type": "json_schema", "json_schema": {"name": "p", "strict": True, "schema": loose}}
    status, out = post(fake, "/chat/completions", {"model": "gpt-4.1-mini", "messages": msgs, "response_format": fmt_bad})
    assert status == 400 and "additionalProperties" in out["error"]["message"]

    bad_img = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]
    status, out = post(fake, "/chat/completions", {"model": "gpt-4.1-mini", "messages": bad_img})
    assert status == 400 and out["error"]["code"] == "invalid_image_url"


def test_auth_retired_and_unknown_paths(fake):
    assert post(fake, "/chat/completions", {"model": "m", "messages": []}, key="nope")[0] == 401
    fake.retired.add("old")
    status, out = post(fake, "/images/generations", {"model": "old", "prompt": "x"})
    assert status == 404 and out["error"]["code"] == "model_not_found"
    assert post(fake, "/nothing", {"model": "m"})[0] == 404
    assert [r.path for r in fake.requests] == ["/v1/chat/completions", "/v1/images/generations", "/v1/nothing"]


def test_script_is_fifo_per_route_and_raw_bodies(fake):
    fake.push(Reply.server_error(503), route="chat")
    fake.push(Reply.raw(200, b"{not json"))
    assert post(fake, "/images/generations", {"model": "gpt-image-2", "prompt": "x"}) == (200, b"{not json")
    assert post(fake, "/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "x"}]})[0] == 503
    assert fake.pending() == 0


def test_slow_reply_and_fast_stop():
    fake = FakeOpenAI().start()
    fake.push(Reply.slow(30.0))
    with pytest.raises(OSError):  # socket timeout
        post(fake, "/images/generations", {"model": "gpt-image-2", "prompt": "x"}, timeout=0.2)
    start = time.perf_counter()
    fake.stop()
    assert time.perf_counter() - start < 1.0
