"""OpenAI backends against the local fake server, through the real ``openai`` client.

No network, no sleeps: backoff delays go to a recording no-op ``sleep``.
"""

from __future__ import annotations

import base64
import io
import json
import time

import pytest
from PIL import Image

pytest.importorskip("openai")

from semcodec.backends.base import DescribeRequest, Describer, Generator
from semcodec.backends.instructions import (
    SCHEMA_NAME,
    compress_instructions,
    describe_instructions,
    parse_prompts,
    prompt_json_schema,
    refine_instructions,
)
from semcodec.backends.openai_common import (
    estimate_compress_cost,
    estimate_describe_cost,
    image_input_tokens,
    text_cost,
    working_decoders,
)
from semcodec.backends.openai_image import estimate_image_cost, load_generator
from semcodec.backends.openai_text import load_describer
from semcodec.errors import EXIT_MISSING, BackendError, MissingError, ModelUnavailableError
from semcodec.prompt import Prompt
from semcodec.registry import decoder_by_name, describer_by_name
from semcodec.testing.fake_openai import FakeOpenAI, Reply, _strict_schema_problem


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ADMIN_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake():
    with FakeOpenAI(api_key="sk-test") as server:
        yield server


class Sleeps(list):
    """A no-op sleep that records the delays asked for."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def gen(fake, name, **kw):
    sleeps = kw.pop("sleep", Sleeps())
    g = load_generator(decoder_by_name(name), api_key="sk-test", base_url=fake.base_url, sleep=sleeps, **kw)
    return g, sleeps


def desc(fake, **kw):
    sleeps = kw.pop("sleep", Sleeps())
    return load_describer(api_key="sk-test", base_url=fake.base_url, sleep=sleeps, **kw), sleeps


def request(m=3, budget=200, size=(800, 600), caption=None):
    img = Image.new("RGB", size, (200, 40, 40))
    img.paste((20, 60, 220), (100, 100, 400, 400))
    return DescribeRequest(image=img, m=m, max_text_bytes=budget, caption=caption)


def prompts_json(n, scene="a red barn in snow"):
    return json.dumps(
        {"prompts": [{"scene": f"{scene} {i}", "objects": ["red barn", "pine trees"], "lighting": "overcast", "style": None} for i in range(n)]}
    )


# ---------------------------------------------------------------------------
# describer
# ---------------------------------------------------------------------------


def test_describe_round_trip_sends_image_and_strict_schema(fake):
    d, _ = desc(fake, model="gpt-4.1-mini")
    assert isinstance(d, Describer)
    fake.push(Reply.chat(prompts_json(3), usage={"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}))
    out = d.describe(request(m=3, caption="a barn"))
    assert [p.scene for p in out] == ["a red barn in snow 0", "a red barn in snow 1", "a red barn in snow 2"]
    assert all(isinstance(p, Prompt) for p in out)

    (req,) = fake.requests_to("chat")
    body = req.body
    assert req.headers["authorization"] == "Bearer sk-test"
    assert body["model"] == "gpt-4.1-mini"
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == SCHEMA_NAME and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["properties"]["prompts"]["minItems"] == 3
    assert fmt["json_schema"]["schema"]["properties"]["prompts"]["maxItems"] == 3
    system, user = body["messages"]
    assert system["role"] == "system" and "200 bytes" in system["content"] and "a barn" in system["content"]
    parts = {p["type"]: p for p in user["content"]}
    url = parts["image_url"]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert sent.size == (512, 384)  # long side bounded to 512 px, aspect kept
    assert body["max_completion_tokens"] > 0

    (call,) = d.calls
    assert (call.kind, call.model, call.input_tokens, call.output_tokens) == ("describe", "gpt-4.1-mini", 1000, 200)
    assert call.cost_usd == pytest.approx((1000 * 0.40 + 200 * 1.60) / 1e6)
    assert call.extra["cost"] == "estimate"


def test_refine_sends_best_prompt_and_image(fake):
    d, _ = desc(fake)
    best = Prompt("a red barn", ("snowy field",), "dusk")
    out = d.refine(request(m=2), best)  # the fake's default answer follows the schema's minItems
    assert len(out) == 2
    body = fake.requests_to("chat")[0].body
    assert "a red barn, snowy field, dusk" in body["messages"][0]["content"]
    assert any(p["type"] == "image_url" for p in body["messages"][1]["content"])
    assert d.calls[0].kind == "refine" and d.calls[0].input_tokens > 0


def test_compress_is_text_only_and_asks_again_when_still_too_long(fake):
    d, _ = desc(fake)
    long = Prompt("a very long scene description " * 5, ("object one", "object two"), "bright light")
    fake.push(
        Reply.chat(json.dumps({"prompts": [{"scene": "a long scene still too long for it", "objects": ["x" * 30], "lighting": "", "style": None}]})),
        Reply.chat(json.dumps({"prompts": [{"scene": "long scene", "objects": ["two objects"], "lighting": "", "style": ""}]})),
    )
    out = d.compress(request(m=3, budget=40), long)
    assert out == Prompt("long scene", ("two objects",), "", None)
    reqs = fake.requests_to("chat")
    assert len(reqs) == 2 and [c.kind for c in d.calls] == ["compress", "compress"]
    for r in reqs:
        assert all(isinstance(m["content"], str) or all(p["type"] == "text" for p in m["content"]) for m in r.body["messages"])
        assert r.body["response_format"]["json_schema"]["schema"]["properties"]["prompts"]["minItems"] == 1


def test_malformed_model_output_is_retried_once_then_fails(fake):
    d, _ = desc(fake)
    fake.push(Reply.chat("Sure! Here are your prompts: {"), Reply.chat('{"prompts": [oops'))
    with pytest.raises(BackendError, match="unusable describe answer twice.*not valid JSON"):
        d.describe(request(m=2))
    reqs = fake.requests_to("chat")
    assert len(reqs) == 2
    retry_msgs = reqs[1].body["messages"]
    assert retry_msgs[-2] == {"role": "assistant", "content": "Sure! Here are your prompts: {"}
    assert "not usable" in retry_msgs[-1]["content"]
    assert len(d.calls) == 2  # both calls were paid for and recorded


@pytest.mark.parametrize(
    "content",
    [
        prompts_json(1),  # wrong count
        json.dumps({"prompts": [{"scene": "", "objects": [], "lighting": "", "style": None}] * 2}),  # invalid Prompt
        json.dumps({"prompts": [{"scene": "a", "objects": "boat", "lighting": "", "style": None}] * 2}),  # wrong type
        json.dumps([1, 2]),
    ],
)
def test_invalid_model_output_then_valid_answer(fake, content):
    d, _ = desc(fake)
    fake.push(Reply.chat(content), Reply.chat(prompts_json(2)))
    assert len(d.describe(request(m=2))) == 2
    assert len(fake.requests_to("chat")) == 2


def test_model_refusal_is_a_clear_error(fake):
    d, _ = desc(fake)
    fake.push(Reply.chat(None, refusal="I can't help with that."))
    with pytest.raises(BackendError, match="refused to describe: I can't help with that"):
        d.describe(request(m=1))


def test_describer_model_gone(fake):
    d, _ = desc(fake, model="gpt-4.1-mini")
    fake.push(Reply.model_not_found("gpt-4.1-mini", route="chat"))
    with pytest.raises(ModelUnavailableError, match=r"^model gpt-4.1-mini is not available at this endpoint .*2027-01-14.*another model that accepts images"):
        d.describe(request(m=1))


def test_describer_estimate_cost_tracks_the_request(fake):
    d, _ = desc(fake)
    small, big = d.estimate_cost("describe", request=request(m=1)), d.estimate_cost("refine", request=request(m=6, budget=600))
    assert 0 < small < big < 0.01
    assert d.estimate_cost("compress", request=request()) < small


# ---------------------------------------------------------------------------
# image decoders
# ---------------------------------------------------------------------------


def test_dalle3_request_shape_and_revised_prompt(fake):
    g, _ = gen(fake, "dalle3")
    assert isinstance(g, Generator) and g.count_tokens("anything at all " * 100) is None
    (r,) = g.render("a red barn, snow", [None])
    body = fake.requests_to("images")[0].body
    assert body == {
        "model": "dall-e-3",
        "prompt": "a red barn, snow",
        "n": 1,
        "size": "1024x1024",
        "quality": "hd",
        "style": "natural",
        "response_format": "b64_json",
    }
    assert r.image.mode == "RGB" and r.image.size == (1024, 1024)
    assert r.seed is None and r.revised_prompt == "A detailed picture: a red barn, snow"
    assert r.cost_usd == pytest.approx(0.08) == estimate_image_cost(decoder_by_name("dalle3"))


@pytest.mark.parametrize("name", ["gpt-image-2", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5"])
def test_gpt_image_request_shape(fake, name):
    spec = decoder_by_name(name)
    g, _ = gen(fake, name)
    out = g.render("a red barn, snow", [None, None])
    reqs = fake.requests_to("images")
    assert len(out) == 2 and len(reqs) == 2  # one request per image
    body = reqs[0].body
    assert "style" not in body and "response_format" not in body
    assert body == {"model": spec.source, "prompt": "a red barn, snow", "n": 1, "size": "1024x1024", "quality": spec.params["quality"]}
    assert out[0].revised_prompt is None and out[0].image.size == (1024, 1024)
    assert g.calls[0].output_tokens == 4160 and g.calls[0].kind == "render"


def test_gpt_image2_cost_estimate():
    assert estimate_image_cost(decoder_by_name("gpt-image-2")) == pytest.approx(0.211)


def test_transparent_image_is_flattened_to_rgb():
    with FakeOpenAI(image_mode="RGBA") as fake:
        g, _ = gen(fake, "gpt-image-2")
        (r,) = g.render("a logo", [None])
    assert r.image.mode == "RGB"


def test_seeds_are_refused_for_an_api_decoder(fake):
    g, _ = gen(fake, "gpt-image-2")
    with pytest.raises(ValueError, match="takes no seed"):
        g.render("x", [0])
    assert fake.requests == []


# ---------------------------------------------------------------------------
# retries and errors
# ---------------------------------------------------------------------------


def test_429_then_200_succeeds_with_backoff(fake):
    g, sleeps = gen(fake, "gpt-image-2", base_delay=0.5)
    fake.push(Reply.rate_limited(), Reply.rate_limited(), route="images")
    (r,) = g.render("x", [None])
    assert r.image.size == (1024, 1024)
    assert sleeps == [0.5, 1.0] and g.retry_delays == [0.5, 1.0]
    assert len(fake.requests_to("images")) == 3


def test_retry_after_header_is_honoured(fake):
    d, sleeps = desc(fake)
    fake.push(Reply.rate_limited(retry_after=7), route="chat")
    d.describe(request(m=1))
    assert sleeps == [7.0]


def test_500_until_retries_run_out(fake):
    g, sleeps = gen(fake, "gpt-image-2", max_retries=3)
    fake.push(*[Reply.server_error(500)] * 4, route="images")
    with pytest.raises(BackendError, match=r"failed after 4 attempts; last status 500: The server had an error"):
        g.render("x", [None])
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(fake.requests_to("images")) == 4


def test_quota_exhausted_is_not_retried(fake):
    g, sleeps = gen(fake, "gpt-image-2")
    fake.push(Reply.error(429, "You exceeded your current quota.", type="insufficient_quota", code="insufficient_quota"))
    with pytest.raises(BackendError, match="quota exhausted"):
        g.render("x", [None])
    assert sleeps == [] and len(fake.requests) == 1


@pytest.mark.parametrize("code", ["content_policy_violation", "moderation_blocked"])
def test_content_policy_refusal(fake, code):
    g, sleeps = gen(fake, "gpt-image-2")
    fake.push(Reply.content_policy(code=code))
    with pytest.raises(BackendError) as info:
        g.render("something forbidden", [None])
    msg = str(info.value)
    assert msg.startswith("OpenAI refused the prompt (content policy): Your request was rejected")
    assert "\n" not in msg and sleeps == [] and len(fake.requests) == 1


def test_deprecated_model_names_working_decoders(fake):
    g, _ = gen(fake, "dalle3")
    fake.push(Reply.deprecated("dall-e-3"))
    with pytest.raises(ModelUnavailableError) as info:
        g.render("x", [None])
    expected = ", ".join(working_decoders())
    assert str(info.value) == (
        f"model dall-e-3 is not available at this endpoint (OpenAI retired it on 2026-05-12); working decoders: {expected}"
    )
    assert fake.requests_to("images")[0].body["model"] == "dall-e-3"  # a retired model is still sent as asked
    assert "gpt-image-2" in expected and "dalle3" not in expected
    assert info.value.exit_code == 1


def test_retired_model_at_endpoint(fake):
    fake.retired.add("gpt-image-1")
    g, sleeps = gen(fake, "gpt-image-1")
    with pytest.raises(ModelUnavailableError, match=r"model gpt-image-1 is not available .*2026-10-23"):
        g.render("x", [None])
    assert sleeps == []


def test_timeout_is_retried_then_clear(fake):
    g, sleeps = gen(fake, "gpt-image-2", timeout=0.2, max_retries=1)
    fake.push(Reply.slow(3.0), Reply.slow(3.0), route="images")
    start = time.perf_counter()
    with pytest.raises(BackendError, match=r"timed out after 0.2 s after 2 attempts"):
        g.render("x", [None])
    assert time.perf_counter() - start < 2.0  # gave up long before the server answered
    assert sleeps == [1.0]


def test_connection_refused_is_clear():
    with FakeOpenAI() as fake:
        base_url = fake.base_url
    g = load_generator(decoder_by_name("gpt-image-2"), api_key="sk-test", base_url=base_url, max_retries=1, sleep=Sleeps())
    with pytest.raises(BackendError, match=r"cannot reach the OpenAI API at http://127.0.0.1:\d+ after 2 attempts"):
        g.render("x", [None])


def test_missing_api_key_fails_before_any_request(fake):
    with pytest.raises(MissingError, match="OPENAI_API_KEY") as info:
        load_generator(decoder_by_name("gpt-image-2"), base_url=fake.base_url)
    assert info.value.exit_code == EXIT_MISSING
    with pytest.raises(MissingError, match="OPENAI_API_KEY"):
        load_describer(base_url=fake.base_url, api_key="")
    assert fake.requests == []


def test_bad_api_key_is_a_missing_error(fake):
    g = load_generator(decoder_by_name("gpt-image-2"), api_key="sk-wrong", base_url=fake.base_url, sleep=Sleeps())
    with pytest.raises(MissingError, match=r"OpenAI rejected the API key \(401\)"):
        g.render("x", [None])
    assert len(fake.requests) == 1


def test_env_vars_are_honoured(fake, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    (r,) = load_generator(decoder_by_name("gpt-image-2")).render("x", [None])
    assert r.image.size == (1024, 1024)
    assert fake.requests[0].headers["authorization"] == "Bearer sk-test"


def test_other_400_is_reported_with_status(fake):
    g, _ = gen(fake, "gpt-image-2")
    fake.push(Reply.error(400, "Invalid value for 'size'.", code="invalid_value", param="size"))
    with pytest.raises(BackendError, match=r"rejected the request for gpt-image-2 \(400 invalid_value\): Invalid value"):
        g.render("x", [None])


def test_image_without_base64_is_an_error(fake):
    g, _ = gen(fake, "gpt-image-2")
    fake.push(Reply(200, {"created": 1, "data": [{"url": "https://example.invalid/x.png"}]}))
    with pytest.raises(BackendError, match="no base64 image"):
        g.render("x", [None])
    fake.push(Reply(200, {"created": 1, "data": [{"b64_json": base64.b64encode(b"not a png").decode()}]}))
    with pytest.raises(BackendError, match="not a readable image"):
        g.render("x", [None])


# ---------------------------------------------------------------------------
# instructions and parsing (no server)
# ---------------------------------------------------------------------------


def test_schema_is_strict_compatible_and_counts():
    for m in (1, 4):
        schema = prompt_json_schema(m)
        assert _strict_schema_problem(schema) is None
        assert schema["properties"]["prompts"]["minItems"] == m == schema["properties"]["prompts"]["maxItems"]
    with pytest.raises(ValueError):
        prompt_json_schema(0)


def test_instruction_texts_state_budget_and_count():
    best = Prompt("a barn", ("tree",), "dusk", "watercolour")
    assert "exactly 4" in describe_instructions(4, 120) and "120 bytes" in describe_instructions(4, 120)
    assert "a barn, tree, dusk, watercolour" in refine_instructions(best, 2, 90)
    text = compress_instructions(best, 20)
    assert "at most 20 bytes" in text and '"scene": "a barn"' in text


def test_parse_prompts_forms_and_failures():
    one = {"scene": "a", "objects": ["b"], "lighting": "", "style": ""}
    assert parse_prompts({"prompts": [one]}, 1) == [Prompt("a", ("b",), "", None)]
    assert parse_prompts([one], 1)[0].style is None
    assert parse_prompts("```json\n" + json.dumps({"prompts": [one]}) + "\n```", 1)[0].scene == "a"
    assert parse_prompts(json.dumps({"prompts": [one]}).encode(), 1)[0].objects == ("b",)
    bad = [
        ({"prompts": [one], "extra": 1}, "single key"),
        ({"prompts": [{**one, "mood": "x"}]}, "unknown prompt key"),
        ({"prompts": [{**one, "scene": "a\nb"}]}, "control character"),
        ({"prompts": "x"}, "must be a list"),
        ({"prompts": [one, one]}, "2 prompt"),
        ("{nope", "not valid JSON"),
        ({"prompts": [3]}, "is a int"),
    ]
    for obj, why in bad:
        with pytest.raises(BackendError, match=why):
            parse_prompts(obj, 1)


def test_cost_estimates():
    # gpt-4.1-mini: $0.40 / $1.60 per million tokens
    assert text_cost("gpt-4.1-mini", 1_000_000, 0) == pytest.approx(0.40)
    assert text_cost("gpt-4.1-mini-2025-04-14", 0, 1_000_000) == pytest.approx(1.60)
    assert text_cost("gpt-4.1-mini", 1000, 0, cached_tokens=1000) == pytest.approx(0.0001)
    assert image_input_tokens("gpt-4.1-mini", 512, 512) == 415  # 256 patches x 1.62
    assert image_input_tokens("gpt-4o", 512, 512) == 85 + 170
    cheap, dear = estimate_describe_cost("gpt-4.1-mini", 3), estimate_describe_cost("gpt-4.1", 3)
    assert 0 < cheap < dear
    assert estimate_describe_cost("gpt-4.1-mini", 3, (4000, 3000)) <= cheap  # downscaled before sending
    assert 0 < estimate_compress_cost("gpt-4.1-mini") < cheap
    assert estimate_image_cost(decoder_by_name("gpt-image-1-mini")) == pytest.approx(0.011)


def test_describer_registry_entry():
    spec = describer_by_name("openai")
    assert spec.kind == "api" and spec.family == "openai" and spec.model == "gpt-6-luna"
    assert spec.retired is None


def test_non_json_success_body_is_a_clear_error(fake):
    g, _ = gen(fake, "gpt-image-2")
    fake.push(Reply.raw(200, b"{not json"))
    with pytest.raises(BackendError, match="not valid JSON"):
        g.render("x", [None])


def test_html_gateway_errors_are_retried_then_reported(fake):
    g, sleeps = gen(fake, "gpt-image-2", max_retries=1)
    fake.push(*[Reply.raw(502, b"<html>bad gateway</html>", "text/html")] * 2)
    with pytest.raises(BackendError, match=r"after 2 attempts; last status 502: <html>bad gateway</html>"):
        g.render("x", [None])
    assert sleeps == [1.0]


def test_wrong_base_url_path_is_not_called_a_retired_model(fake):
    g = load_generator(decoder_by_name("gpt-image-2"), api_key="sk-test", base_url=fake.base_url[: -len("/v1")] + "/v2", sleep=Sleeps())
    with pytest.raises(BackendError) as info:
        g.render("x", [None])
    assert not isinstance(info.value, ModelUnavailableError)
    assert "(404" in str(info.value) and "Invalid URL" in str(info.value)


def test_working_decoders_follow_the_retirement_dates():
    from semcodec.backends.openai_common import working_decoders

    before = working_decoders("2026-11-24")
    assert "gpt-image-1.5" in before and "gpt-image-1-mini" in before and "dalle3" not in before
    after = working_decoders("2026-12-01")
    assert "gpt-image-1.5" not in after and "gpt-image-2" in after and "sd-turbo" in after
    assert "world-v1" not in before  # verification-only decoder is never suggested for photographs


# -- the current default model (gpt-6-luna, a reasoning model), both request shapes, visual refinement --------


def _feedback(t=2, score=0.812):
    from semcodec.backends.base import RefineFeedback

    return RefineFeedback(render=Image.new("RGB", (800, 600), (10, 200, 10)), score=score, t=t)


def test_default_model_request_is_a_reasoning_request(fake):
    d, _ = desc(fake)
    assert d.model == "gpt-6-luna" and d.api == "chat"
    d.describe(request(m=2))
    (req,) = fake.requests_to("chat")
    body = req.body
    assert body["model"] == "gpt-6-luna"
    assert body["reasoning_effort"] == "low" and "temperature" not in body and "top_p" not in body
    assert body["max_completion_tokens"] >= 2048  # room for the reasoning tokens
    assert req.images == 1
    (call,) = d.calls
    assert call.extra["reasoning_effort"] == "low" and call.extra["api"] == "chat"
    # $0.10 / $0.50 per million tokens (read 2026-12-06)
    assert call.cost_usd == pytest.approx((call.input_tokens * 0.10 + call.output_tokens * 0.50) / 1e6)


def test_default_model_through_the_responses_api(fake):
    d, _ = desc(fake, api="responses")
    out = d.describe(request(m=3, caption="a barn"))
    assert len(out) == 3
    (req,) = fake.requests_to("responses")
    body = req.body
    assert body["model"] == "gpt-6-luna" and body["reasoning"] == {"effort": "low"} and "temperature" not in body
    assert "200 bytes" in body["instructions"] and "a barn" in body["instructions"]
    fmt = body["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["strict"] is True and fmt["name"] == SCHEMA_NAME
    assert fmt["schema"]["properties"]["prompts"]["minItems"] == 3
    assert req.images == 1 and body["input"][0]["content"][1]["type"] == "input_image"
    (call,) = d.calls
    assert call.extra["api"] == "responses" and call.extra["reasoning_tokens"] == 64 and call.input_tokens > 256


def test_responses_api_refusal_and_retry_after_bad_answer(fake):
    d, _ = desc(fake, api="responses")
    fake.push(Reply.chat("not json", route="responses"))
    assert len(d.describe(request(m=1))) == 1  # asked once more, with the problem named
    second = fake.requests_to("responses")[1].body["input"]
    assert second[1]["role"] == "assistant" and "not usable" in second[2]["content"]
    fake.push(Reply.chat(None, refusal="no", route="responses"))
    with pytest.raises(BackendError, match="refused to describe"):
        d.describe(request(m=1))


def test_fake_refuses_temperature_for_a_reasoning_model(fake):
    import openai

    client = openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)
    with pytest.raises(openai.BadRequestError, match="temperature"):
        client.chat.completions.create(model="gpt-6-luna", messages=[{"role": "user", "content": "hi"}], temperature=0.2)
    with pytest.raises(openai.BadRequestError, match="reasoning_effort"):
        client.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "hi"}],
                                       reasoning_effort="low")


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_refine_sends_the_original_and_the_best_render(fake, api):
    d, _ = desc(fake, api=api)
    best = Prompt("a red barn", ("snowy field",), "dusk")
    out = d.refine(request(m=2), best, _feedback(t=3, score=0.812))
    assert len(out) == 2
    (req,) = fake.requests_to(api)
    assert req.images == 2  # the original and the best render
    body = json.dumps(req.body)
    assert "Image 1: the ORIGINAL" in body and "Image 2: the current best render" in body and "0.812" in body
    instructions = req.body["instructions"] if api == "responses" else req.body["messages"][0]["content"]
    assert "Two images are attached" in instructions and "a red barn, snowy field, dusk" in instructions
    if api == "chat":
        urls = [p["image_url"]["url"] for p in req.body["messages"][1]["content"] if p["type"] == "image_url"]
    else:
        urls = [p["image_url"] for p in req.body["input"][0]["content"] if p["type"] == "input_image"]
    first, second = (Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))).convert("RGB") for u in urls)
    assert first.getpixel((0, 0))[0] > 150 and second.getpixel((0, 0))[1] > 150  # original red, render green
    (call,) = d.calls
    assert call.extra["images"] == 2 and call.extra["images_sent"] == ["original", "best render"]
    # without feedback (a caller with no render): one image, as before
    d.refine(request(m=1), best)
    assert fake.requests_to(api)[-1].images == 1


def test_refine_cost_estimate_counts_the_second_image(fake):
    d, _ = desc(fake)
    r = request(m=3)
    one = estimate_describe_cost("gpt-6-luna", 3, r.image.size, max_text_bytes=r.max_text_bytes)
    two = estimate_describe_cost("gpt-6-luna", 3, r.image.size, max_text_bytes=r.max_text_bytes, images=2)
    assert two > one and d.estimate_cost("refine", request=r) == pytest.approx(two)
    assert d.estimate_cost("describe", request=r) == pytest.approx(one)


def test_text_models_record_shutdowns_and_replacements():
    from semcodec.errors import ModelUnavailableError as Gone
    from semcodec.registry import TEXT_MODELS, text_model, text_model_notice

    assert all(t.shutdown is None or (t.replacement and len(t.shutdown) == 10) for t in TEXT_MODELS)
    assert text_model("gpt-4.1-mini-2025-04-14").name == "gpt-4.1-mini"
    with pytest.raises(Gone, match=r"^model gpt-4.1-nano was shut down by OpenAI on 2026-10-23; use gpt-5.6-luna"):
        text_model_notice("gpt-4.1-nano", today="2026-12-06")
    with pytest.raises(Gone, match="use gpt-6-luna"):
        text_model_notice("gpt-4.1-mini", today="2027-01-14")
    assert "2027-01-14 (25 days); use gpt-6-luna" in text_model_notice("gpt-4.1-mini", today="2026-12-20")
    assert text_model_notice("gpt-4.1-mini", today="2026-12-06") is None  # 39 days: no warning yet
    assert text_model_notice("gpt-6-luna", today="2030-01-01") is None
    assert text_model_notice("some-other-model") is None


@pytest.mark.parametrize("name", ["gpt-image-2.6-flare", "gpt-image-2.6-sunburst"])
def test_current_image_models_render_through_the_fake_server(fake, name):
    spec = decoder_by_name(name)
    assert spec.id in (10, 11) and spec.family == "openai" and not spec.deterministic and spec.retired is None
    g, _ = gen(fake, name)
    (r,) = g.render("a red boat at dawn", [None])
    assert r.image.size == (1024, 1024) and r.cost_usd == pytest.approx(0.211)
    body = fake.requests_to("images")[0].body
    assert body["model"] == name and body["quality"] == "high" and "style" not in body
