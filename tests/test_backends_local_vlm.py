"""The local VLM describer, on a tiny random Qwen3-VL loaded through the production path."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from PIL import Image  # noqa: E402

from semcodec.backends.base import DescribeRequest, Describer  # noqa: E402
from semcodec.backends.local_vlm import LocalVLMDescriber, load_describer  # noqa: E402
from semcodec.errors import BackendError, MissingError, SemError  # noqa: E402
from semcodec.prompt import Prompt  # noqa: E402
from semcodec.registry import describer_by_name  # noqa: E402
from semcodec.testing.tiny_vlm import build_tiny_vlm, main as tiny_main  # noqa: E402


@pytest.fixture(scope="module")
def vlm_dir(tmp_path_factory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("vlm"))


@pytest.fixture(scope="module")
def loaded(vlm_dir):
    return load_describer(model_dir=vlm_dir)


def fresh(loaded: LocalVLMDescriber, **kw) -> LocalVLMDescriber:
    """A new describer over the already-loaded model (own calls, own seed counter)."""
    kw.setdefault("device", loaded.device)
    return LocalVLMDescriber(loaded.model, loaded.processor, **kw)


def request(m: int = 3, size=(96, 64), budget: int = 160) -> DescribeRequest:
    return DescribeRequest(image=Image.new("RGB", size, (200, 40, 30)), m=m, max_text_bytes=budget)


def item(scene: str, *objects: str, lighting: str = "soft daylight", style=None) -> dict:
    return {"scene": scene, "objects": list(objects), "lighting": lighting, "style": style}


def answer(*items: dict) -> str:
    return json.dumps({"prompts": list(items)})


class Scripted:
    """A generate_fn that replays answers and records what it was given."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.seen: list[dict] = []

    def __call__(self, inputs, seed, max_new_tokens):
        self.seen.append({"inputs": inputs, "seed": seed, "max_new_tokens": max_new_tokens})
        return self.answers.pop(0)


# -- the tiny model and the load path ---------------------------------------------------------


def test_tiny_vlm_layout_is_deterministic_and_cli_builds_it(vlm_dir, tmp_path, capsys):
    folder = vlm_dir / "local-vlm"
    for name in ("config.json", "model.safetensors", "processor_config.json", "tokenizer.json", "chat_template.jinja"):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "config.json").read_text())["architectures"] == ["Qwen3VLForConditionalGeneration"]
    assert tiny_main([str(tmp_path), "--name", "other"]) == 0
    assert capsys.readouterr().out.strip().endswith("other")
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert (tmp_path / "other" / name).read_bytes() == (folder / name).read_bytes(), name


def test_load_through_production_path(loaded, vlm_dir):
    import transformers

    assert isinstance(loaded, Describer)
    assert isinstance(loaded.model, transformers.Qwen3VLForConditionalGeneration)
    assert isinstance(loaded.processor, transformers.Qwen3VLProcessor)
    assert loaded.name == "local-vlm"
    assert loaded.info["path"] == str(vlm_dir / "local-vlm")
    assert loaded.device == "cpu" and loaded.info["dtype"] == "float32"
    assert loaded.estimate_cost("describe") == 0.0


def test_backends_factory_and_env_model_dir(vlm_dir, monkeypatch):
    from semcodec import backends

    d = backends.load_describer("local-vlm", model_dir=vlm_dir, device="cpu")
    assert isinstance(d, LocalVLMDescriber)
    monkeypatch.setenv("SEMCODEC_MODEL_DIR", str(vlm_dir))
    assert load_describer().info["path"] == str(vlm_dir / "local-vlm")


def test_missing_weights_fail_fast(tmp_path, monkeypatch):
    monkeypatch.delenv("SEMCODEC_MODEL_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    spec = describer_by_name("local-vlm")
    for model_dir in (tmp_path, None):  # an empty model dir, then none: the pinned hub snapshot, offline
        start = time.perf_counter()
        with pytest.raises(MissingError) as err:
            load_describer(model_dir=model_dir)
        assert time.perf_counter() - start < 5
        msg = str(err.value)
        assert "semmodels download local-vlm" in msg and spec.source in msg and spec.revision[:12] in msg
        assert "\n" not in msg


def test_corrupt_model_dir_is_a_backend_error(tmp_path):
    (tmp_path / "local-vlm").mkdir()
    (tmp_path / "local-vlm" / "config.json").write_text("{not json")
    (tmp_path / "local-vlm" / "model.safetensors").write_bytes(b"\0" * 16)
    with pytest.raises(BackendError, match="cannot load the local VLM"):
        load_describer(model_dir=tmp_path)


# -- real generation with random weights: garbage -> retries -> clear error ------------------


def test_random_weights_give_malformed_json_after_retries(loaded):
    d = fresh(loaded, retries=2, seed=5, max_new_tokens=32)
    rng_before = torch.get_rng_state()
    with pytest.raises(BackendError, match=r"^local VLM returned malformed JSON after 3 attempts: "):
        d.describe(request(m=2, budget=60))
    assert torch.equal(torch.get_rng_state(), rng_before)  # the global RNG is left alone
    assert len(d.calls) == 3
    assert [c.extra["seed"] for c in d.calls] == [5, 6, 7]
    assert [c.extra["attempt"] for c in d.calls] == [1, 2, 3]
    cap = d.calls[0].extra["max_new_tokens"]
    assert cap == 32  # min(max_new_tokens, 32 + m * (max_text_bytes // 3 + 64))
    for c in d.calls:
        assert c.kind == "describe" and c.model == "local-vlm" and c.cost_usd == 0.0
        assert c.seconds > 0 and c.input_tokens > 0 and 0 < c.output_tokens <= cap
        assert c.extra["valid_prompts"] == 0 and c.extra["error"]


def test_sampling_is_seeded(loaded):
    def message(seed: int) -> str:
        with pytest.raises(BackendError) as err:
            fresh(loaded, retries=0, seed=seed, max_new_tokens=24).describe(request(m=1, budget=30))
        return str(err.value)

    assert message(11) == message(11)
    assert message(11) != message(12)
    assert "after 1 attempt:" in message(11)


# -- the parse path with injected answers ------------------------------------------------------


def test_describe_sends_image_and_instructions_and_parses(loaded):
    good = answer(
        item("a red wall", "a brick", "a crack"),
        item("red paint", lighting=""),
        item("a red square", style="flat colour"),
    )
    gen = Scripted("```json\n" + good + "\n```")
    d = fresh(loaded, generate_fn=gen)
    out = d.describe(request(m=3))
    assert out == [
        Prompt("a red wall", ("a brick", "a crack"), "soft daylight"),
        Prompt("red paint", (), ""),
        Prompt("a red square", (), "soft daylight", "flat colour"),
    ]
    inputs = gen.seen[0]["inputs"]
    tok = loaded.processor.tokenizer
    assert "pixel_values" in inputs and inputs["image_grid_thw"].shape == (1, 3)
    ids = inputs["input_ids"][0].tolist()
    assert tok.convert_tokens_to_ids("<|image_pad|>") in ids
    text = tok.decode(ids)
    assert "exactly 3 candidate prompt(s)" in text and "at most 160 bytes" in text
    assert text.rstrip().endswith("<|im_start|>assistant")
    (call,) = d.calls
    assert call.input_tokens == len(ids) and call.output_tokens > 0 and call.extra["valid_prompts"] == 3


def test_chatty_answer_with_extra_prompts_keeps_first_m(loaded):
    items = [item(f"scene {i}", f"object {i}") for i in range(4)]
    gen = Scripted("Sure! Here is the JSON:\n" + answer(*items) + "\nHope this helps.")
    d = fresh(loaded, generate_fn=gen)
    out = d.describe(request(m=2))
    assert [p.scene for p in out] == ["scene 0", "scene 1"]
    assert len(d.calls) == 1


def test_truncated_answer_keeps_finished_items(loaded):
    full = answer(item("a snowy peak", "a cabin"), item("a mountain hut", "pine trees"), item("an alpine", "x"))
    cut = full[: full.index('"an alpine"') + 5]  # the token cap hit inside the third item
    gen = Scripted(cut, answer(item("a ridge at sunrise", "a climber")))
    d = fresh(loaded, generate_fn=gen)
    out = d.describe(request(m=3))
    assert [p.scene for p in out] == ["a snowy peak", "a mountain hut", "a ridge at sunrise"]
    assert "not valid JSON" in d.calls[0].extra["error"]
    assert [c.extra["valid_prompts"] for c in d.calls] == [2, 1]


def test_fewer_than_m_pads_by_asking_again(loaded):
    first = answer(item("a harbour at dawn", "fishing boats"), {"scene": "", "objects": [], "lighting": ""})
    second = answer(
        item("boats in a harbour", "a pier"), item("a harbour at dawn", "fishing boats"), item("a quay", "gulls")
    )
    gen = Scripted(first, second)
    d = fresh(loaded, generate_fn=gen, seed=40)
    out = d.describe(request(m=3))
    # kept the valid first item, dropped the invalid one, then asked for the 2 missing; the
    # duplicate in the second answer is dropped and the first M distinct prompts are kept.
    assert [p.scene for p in out] == ["a harbour at dawn", "boats in a harbour", "a quay"]
    texts = [loaded.processor.tokenizer.decode(s["inputs"]["input_ids"][0]) for s in gen.seen]
    assert "exactly 3 candidate" in texts[0] and "exactly 2 candidate" in texts[1]
    assert [s["seed"] for s in gen.seen] == [40, 41]
    assert [c.extra["valid_prompts"] for c in d.calls] == [1, 2]


def test_still_short_after_all_attempts_fails_clearly(loaded):
    one = answer(item("a lone tree", "a hill"))
    d = fresh(loaded, generate_fn=Scripted(one, one, "no json here"), retries=2)
    with pytest.raises(BackendError, match=r"gave only 1 valid prompt\(s\) of 3 after 3 attempts"):
        d.describe(request(m=3))
    assert len(d.calls) == 3


def test_malformed_then_valid_recovers(loaded):
    bad = '{"prompts": [{"scene": "a cat", "objects": "not a list", "lighting": ""}]'
    gen = Scripted(bad, answer(item("a cat on a sofa", "a cushion")))
    d = fresh(loaded, generate_fn=gen)
    assert d.describe(request(m=1)) == [Prompt("a cat on a sofa", ("a cushion",), "soft daylight")]
    assert [c.extra["attempt"] for c in d.calls] == [1, 2]
    assert "error" in d.calls[0].extra and "error" not in d.calls[1].extra


def test_refine_and_compress(loaded):
    best = Prompt("a red wall with a crack", ("a brick",), "noon sun")
    gen = Scripted(
        answer(item("a cracked red wall", "a brick"), item("red brick wall", "a crack")), answer(item("red wall"))
    )
    d = fresh(loaded, generate_fn=gen)
    variants = d.refine(request(m=2, budget=40), best)
    assert [p.scene for p in variants] == ["a cracked red wall", "red brick wall"]
    short = d.compress(request(m=2, budget=40), best)
    assert short == Prompt("red wall", (), "soft daylight")
    texts = [loaded.processor.tokenizer.decode(s["inputs"]["input_ids"][0]) for s in gen.seen]
    assert best.text() in texts[0] and "exactly 2 corrected variant(s)" in texts[0]
    assert "at most 40 bytes" in texts[1] and "exactly 1 prompt" in texts[1]
    assert [c.kind for c in d.calls] == ["refine", "compress"]


def test_large_images_are_downscaled(loaded):
    d = fresh(loaded, max_image_side=128)
    img = d._prepare_image(Image.new("RGBA", (1000, 500)))
    assert img.mode == "RGB" and img.size == (128, 64)
    small = d._prepare_image(Image.new("RGB", (100, 50)))
    assert small.size == (100, 50)


def test_bad_arguments(loaded):
    with pytest.raises(ValueError):
        fresh(loaded, retries=-1)
    with pytest.raises(ValueError):
        fresh(loaded, generate_fn=Scripted()).describe(request(m=0))


def test_registry_entry(monkeypatch):
    monkeypatch.delenv("SEMCODEC_MODEL_DIR", raising=False)
    spec = describer_by_name("local-vlm")
    assert spec.kind == "local" and spec.family == "transformers"
    assert spec.source == spec.model == "Qwen/Qwen3-VL-2B-Instruct"
    assert len(spec.revision) == 40 and int(spec.revision, 16) >= 0  # a full pinned commit hash
    with pytest.raises(SemError, match="not a local VLM"):
        load_describer("openai")
    with pytest.raises(SemError, match="unknown model"):
        load_describer("no-such-vlm")


def test_refine_with_feedback_sends_two_labelled_images(loaded):
    from semcodec.backends.base import RefineFeedback

    best = Prompt("a red wall with a crack", ("a brick",), "noon sun")
    feedback = RefineFeedback(render=Image.new("RGB", (96, 64), (20, 200, 20)), score=0.734, t=2)
    gen = Scripted(answer(item("a cracked red wall", "a brick"), item("red brick wall", "a crack")))
    d = fresh(loaded, generate_fn=gen)
    assert len(d.refine(request(m=2, budget=60), best, feedback)) == 2
    inputs = gen.seen[0]["inputs"]
    text = loaded.processor.tokenizer.decode(inputs["input_ids"][0])
    assert text.count("<|vision_start|>") == 2 and inputs["image_grid_thw"].shape[0] == 2
    assert text.index("Image 1: the ORIGINAL") < text.index("Image 2: the current best render") and "0.734" in text
    assert "Two images are attached" in text and best.text() in text
    (call,) = d.calls
    assert call.extra["images"] == 2 and call.extra["images_sent"] == ["original", "best render"]
    # the original's pixels come first, the render's second
    pv = inputs["pixel_values"]
    half = pv.shape[0] // 2
    assert float(pv[:half].mean()) != pytest.approx(float(pv[half:].mean()))
    # without feedback: one image, as before
    gen2 = Scripted(answer(item("a cracked red wall"), item("red brick wall")))
    fresh(loaded, generate_fn=gen2).refine(request(m=2, budget=60), best)
    assert loaded.processor.tokenizer.decode(gen2.seen[0]["inputs"]["input_ids"][0]).count("<|vision_start|>") == 1


def test_refine_with_feedback_runs_through_the_real_model(loaded):
    from semcodec.backends.base import RefineFeedback

    d = fresh(loaded, retries=0, max_new_tokens=16)
    feedback = RefineFeedback(render=Image.new("RGB", (96, 64), (20, 200, 20)), score=0.5, t=2)
    with pytest.raises(BackendError):  # random weights write no JSON; the forward pass took both images
        d.refine(request(m=1, budget=40), Prompt("a wall"), feedback)
    (call,) = d.calls
    assert call.extra["images"] == 2 and call.input_tokens > 0 and call.output_tokens > 0
