import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from semcodec.backends.base import Rendered
from semcodec.container import decode
from semcodec.decoder import decode_image
from semcodec.encoder import MEAN_LOOP, REFERENCE_LOOP, EncoderConfig, encode_image
from semcodec.errors import BackendError, BudgetError

from fakes import COLOURS, FakeCritic, FakeDescriber, FakeGenerator


def photo(colour="blue", size=(48, 32)):
    rng = np.random.default_rng(0)
    px = np.clip(np.array(COLOURS[colour]) + rng.normal(0, 10, size=(size[1], size[0], 3)), 0, 255)
    return Image.fromarray(px.astype(np.uint8), "RGB")


def run(config, **kw):
    critic, gen, desc = kw.get("critic") or FakeCritic(), kw.get("gen") or FakeGenerator(), kw.get("desc") or FakeDescriber()
    result = encode_image(kw.get("image") or photo(), config=config, critic=critic, generator=gen, describer=desc)
    return result, critic, gen, desc


def test_loop_makes_exactly_n_m_scorings_and_n_k_renders():
    cfg = EncoderConfig(n=4, m=3, k=4, budget_bytes=None, **REFERENCE_LOOP)  # the seed's loop
    result, critic, gen, desc = run(cfg)
    assert critic.text_scorings == 4 * 3 and critic.score_calls == 4
    assert gen.renders == 4 * 4
    assert [c.kind for c in desc.calls] == ["describe", "refine", "refine", "refine"]
    assert result.trace.to_json()["calls"] == {"text_scorings": 12, "renders": 16, "model_calls": 4}
    assert critic.image_embeds == 1 + 16  # the original once, each render once


def test_best_so_far_is_monotone_and_is_what_the_file_holds():
    cfg = EncoderConfig(n=5, m=3, k=3, budget_bytes=None, **REFERENCE_LOOP)
    result, *_ = run(cfg)
    bests = [it["best_clipsim"] for it in result.trace.to_json()["iterations"]]
    assert bests == sorted(bests)
    assert result.best_clipsim == bests[-1] == max(r["clipsim"] for it in result.trace.to_json()["iterations"] for r in it["renders"])
    best_it = result.trace.to_json()["iterations"][result.trace.to_json()["result"]["best_t"] - 1]
    assert result.sem.prompt.to_dict() == best_it["prompts"][best_it["chosen"]]["prompt"]


def test_critic_actually_steers_the_choice():
    # The photo is blue: the chosen prompt names blue, because the critic prefers it.
    result, *_ = run(EncoderConfig(n=2, m=6, k=2, budget_bytes=None), image=photo("blue"))
    assert "blue" in result.sem.prompt.text()


def test_chosen_seed_decodes_to_the_chosen_image_bit_for_bit():
    cfg = EncoderConfig(n=3, m=2, k=4, budget_bytes=None)
    result, _, gen, _ = run(cfg)
    assert 0 <= result.sem.seed < 3 * 4
    received = decode_image(decode(result.data), FakeGenerator())
    assert received.exact
    assert np.array_equal(np.asarray(received.image), np.asarray(result.best_image))
    assert received.image.size == (48, 32)


def test_seeds_are_one_byte_and_distinct_per_iteration():
    result, *_ = run(EncoderConfig(n=4, m=1, k=4, budget_bytes=None))
    seeds = [r["seed"] for it in result.trace.to_json()["iterations"] for r in it["renders"]]
    assert seeds == list(range(16))


def test_openai_style_decoder_writes_no_seed():
    cfg = EncoderConfig(n=2, m=2, k=2, budget_bytes=None, decoder="gpt-image-2")
    result, *_ = run(cfg, gen=FakeGenerator("gpt-image-2"))
    assert result.sem.seed is None and decode(result.data).seed is None
    assert any("no seed" in n for n in result.trace.to_json()["notes"])


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=30, max_value=200))
def test_budget_is_never_exceeded(budget):
    # Every budget in this range can hold a shortened prompt, so a refusal is a bug too:
    # the property cannot pass by raising BudgetError on every example.
    cfg = EncoderConfig(n=2, m=3, k=1, budget_bytes=budget)
    result, *_ = run(cfg, desc=FakeDescriber(words_per_object=8))
    assert len(result.data) <= budget
    for it in result.trace.to_json()["iterations"]:
        assert all(p["file_bytes"] <= budget for p in it["prompts"])


def test_a_budget_that_holds_no_prompt_is_refused():
    with pytest.raises(BudgetError, match="no proposed prompt fits the budget"):
        # v1: its 14 bytes of overhead at 48x32 leave 2 payload bytes (a v2 file, 8, would still hold a short prompt)
        run(EncoderConfig(n=2, m=3, k=1, budget_bytes=16, container="v1"), desc=FakeDescriber(words_per_object=8))


def test_shortening_never_cuts_mid_word():
    cfg = EncoderConfig(n=1, m=3, k=1, budget_bytes=60)
    result, *_ = run(cfg, desc=FakeDescriber(words_per_object=10))
    vocab = {w for c in COLOURS for i in range(20) for w in FakeDescriber(10)._prompt(c, i).text().replace(",", " ").split()}
    for w in result.sem.prompt.text().replace(",", " ").split():
        assert w in vocab
    assert len(result.data) <= 60


class WordyGenerator(FakeGenerator):
    def count_tokens(self, text):
        return 2 * len(text.split()) + 2  # a tokenizer that splits every word in two


def test_token_limit_is_respected():
    gen = WordyGenerator()
    cfg = EncoderConfig(n=1, m=2, k=1, budget_bytes=None)
    desc = FakeDescriber(words_per_object=15)
    assert gen.count_tokens(desc._prompt("red", 0).text()) > 77
    result, *_ = run(cfg, gen=gen, desc=desc)
    assert gen.count_tokens(result.sem.prompt.text()) <= 77


def test_impossible_budget_is_a_clear_error():
    with pytest.raises(BudgetError, match="no proposed prompt fits"):
        run(EncoderConfig(n=1, m=2, k=1, budget_bytes=16, container="v1"))


def test_api_failure_mid_run_propagates():
    with pytest.raises(BackendError, match="fake API failure"):
        run(EncoderConfig(n=4, m=2, k=1, budget_bytes=None), desc=FakeDescriber(fail_at_call=3))


def test_trace_is_complete():
    result, *_ = run(EncoderConfig(n=2, m=2, k=2, budget_bytes=200))
    t = result.trace.to_json()
    assert t["trace_version"] == 1 and len(t["iterations"]) == 2
    it = t["iterations"][0]
    assert {"t", "mode", "prompts", "chosen", "renders", "best_clipsim", "best_seed", "model_calls", "cost_usd"} <= set(it)
    assert {"text", "clip_text", "file_bytes", "text_bytes"} <= set(it["prompts"][0])
    assert t["result"]["file_bytes"] == len(result.data)
    assert set(t["timings_s"]) >= {"describe", "score_text", "render", "score_image", "total"}


class PriceyDescriber(FakeDescriber):
    """Each call costs $0.03 (estimated and booked)."""

    def estimate_cost(self, kind, **kw):
        return 0.03

    def _record(self, kind):
        super()._record(kind)
        self.calls[-1].cost_usd = 0.03


class PriceyGenerator(FakeGenerator):
    def estimate_cost(self, kind, **kw):
        return 0.01

    def render(self, text, seeds):
        out = super().render(text, seeds)
        for r in out:
            r.cost_usd = 0.01
        return out


def test_max_cost_refuses_the_first_call_when_it_alone_is_too_much():
    desc = FakeDescriber()
    desc.estimate_cost = lambda kind, **kw: 0.01
    with pytest.raises(BudgetError, match="max-cost"):
        run(EncoderConfig(n=4, m=2, k=1, budget_bytes=None, max_cost_usd=0.005), desc=desc)
    assert desc.calls == []  # stopped *before* spending


def test_max_cost_counts_this_rounds_describe_before_its_renders():
    desc, gen = PriceyDescriber(), PriceyGenerator()
    with pytest.raises(BudgetError, match="renders of iteration 1"):
        run(EncoderConfig(n=1, m=2, k=4, budget_bytes=None, max_cost_usd=0.05), desc=desc, gen=gen)
    assert gen.renders == 0  # 0.03 spent + 4 x 0.01 > 0.05: no render was bought


def test_max_cost_covers_compress_calls():
    desc = PriceyDescriber(words_per_object=8)
    with pytest.raises(BudgetError, match="compress"):
        run(EncoderConfig(n=1, m=3, k=1, budget_bytes=60, max_cost_usd=0.05), desc=desc)
    assert sum(c.cost_usd for c in desc.calls) <= 0.05


def test_spend_is_booked_in_the_trace():
    result, *_ = run(EncoderConfig(n=2, m=2, k=2, budget_bytes=None, **REFERENCE_LOOP), desc=PriceyDescriber(),
                      gen=PriceyGenerator())
    assert result.trace.to_json()["cost_usd_estimate"] == pytest.approx(2 * 0.03 + 4 * 0.01)


class StuckDescriber(FakeDescriber):
    def refine(self, request, best, feedback=None):
        self._record("refine")
        return [best] * request.m  # never proposes anything new


class LookingDescriber(FakeDescriber):
    def __init__(self):
        super().__init__()
        self.feedback = []

    def refine(self, request, best, feedback=None):
        self.feedback.append((best, feedback))
        return super().refine(request, best, feedback)


def test_refine_sees_the_best_render_and_its_score():
    desc = LookingDescriber()
    result, *_ = run(EncoderConfig(n=3, m=2, k=2, budget_bytes=None), desc=desc)
    its = result.trace.to_json()["iterations"]
    assert len(desc.feedback) == 2
    for t, (best, fb) in enumerate(desc.feedback, start=2):
        prev = its[t - 2]  # the trace row of the round before this refine
        assert fb is not None and fb.t == prev["best_t"]
        assert fb.score == prev["best_clipsim"]
        assert fb.render.size == (48, 32)
        best_it = its[fb.t - 1]
        assert best.to_dict() == best_it["prompts"][best_it["chosen"]]["prompt"]
    assert np.array_equal(np.asarray(desc.feedback[-1][1].render), np.asarray(result.best_image)) or its[-1]["improved"]


def test_patience_stops_early_and_says_so():
    cfg = EncoderConfig(n=6, m=2, k=1, budget_bytes=None, patience=2)
    gen = FakeGenerator()
    result, critic, gen, desc = run(cfg, desc=StuckDescriber(), gen=gen)
    its = result.trace.to_json()["iterations"]
    assert len(its) < 6 and result.trace.to_json()["stopped_early"] == len(its)
    assert not its[-1]["improved"] and not its[-2]["improved"]
    assert any("stopped early" in n for n in result.trace.to_json()["notes"])


def test_patience_running_out_on_the_last_round_is_not_an_early_stop():
    # n=3, patience=2: round 1 sets the best, rounds 2 and 3 do not improve; the loop ran to the end.
    class SameImage(FakeGenerator):  # every seed paints the same picture, so nothing after round 1 improves
        def render(self, text, seeds):
            return [Rendered(image=super(SameImage, self).render(text, [0])[0].image, seed=s) for s in seeds]

    cfg = EncoderConfig(n=3, m=2, k=1, budget_bytes=None, patience=2)
    result, *_ = run(cfg, desc=StuckDescriber(), gen=SameImage())
    its = result.trace.to_json()["iterations"]
    assert len(its) == 3 and not its[1]["improved"] and not its[2]["improved"]
    assert "stopped_early" not in result.trace.to_json()
    assert not any("stopped early" in n for n in result.trace.to_json()["notes"])


def _retired(name):
    from semcodec.errors import ModelUnavailableError

    class Retired(FakeGenerator):
        def render(self, text, seeds):
            raise ModelUnavailableError(f"model {name} is not available at this endpoint")

    return Retired(name)


def test_fallback_that_cannot_render_the_same_prompts_is_refused():
    # A seeded substitute for an unseeded decoder would change what the file means: refuse, never render.
    subs = []

    def fallback():
        subs.append(FakeGenerator("sd-turbo"))
        return subs[-1]

    cfg = EncoderConfig(n=2, m=2, k=2, budget_bytes=None, decoder="dalle3", **REFERENCE_LOOP)
    with pytest.raises(BackendError, match="cannot render the same prompts"):
        encode_image(photo(), config=cfg, critic=FakeCritic(), generator=_retired("dalle3"), describer=FakeDescriber(),
                     fallback=fallback)
    assert len(subs) == 1 and subs[0].renders == 0


def test_fallback_generator_replaces_a_retired_model():
    subs = []

    def fallback():
        subs.append(FakeGenerator("gpt-image-2"))
        return subs[-1]

    cfg = EncoderConfig(n=2, m=2, k=2, budget_bytes=None, decoder="dalle3", **REFERENCE_LOOP)  # the preset's fallback
    result = encode_image(photo(), config=cfg, critic=FakeCritic(), generator=_retired("dalle3"), describer=FakeDescriber(),
                          fallback=fallback)
    assert len(subs) == 1 and result.sem.decoder.name == "gpt-image-2" and decode(result.data).decoder.name == "gpt-image-2"
    assert any("fell back to gpt-image-2" in n for n in result.trace.to_json()["notes"])
    assert subs[0].renders == 4


def test_config_limits():
    for bad in (dict(m=33), dict(max_text_bytes=5), dict(patience=0), dict(n=0)):
        with pytest.raises(ValueError):
            EncoderConfig(**bad).validate()


def test_the_default_loop_and_the_mean_loop_renders_every_candidate():
    from semcodec.encoder import DEFAULT_LOOP

    assert {k: getattr(EncoderConfig(), k) for k in REFERENCE_LOOP} == DEFAULT_LOOP != REFERENCE_LOOP
    assert DEFAULT_LOOP["select"] == REFERENCE_LOOP["select"] == "text"  # the seed's cost: N x K renders
    cfg = EncoderConfig(n=3, m=3, k=2, budget_bytes=None, **MEAN_LOOP)
    result, critic, gen, desc = run(cfg)
    assert gen.renders == 3 * 3 * 2 == result.trace.to_json()["calls"]["renders"]
    for it in result.trace.to_json()["iterations"]:
        means = [r["mean_clipsim"] for r in it["rendered"]]
        assert len(means) == len(it["prompts"])
        assert it["rendered"][it["chosen"]]["mean_clipsim"] == max(means)  # p* is the best mean render
        assert it["acceptance_score"] == pytest.approx(np.mean([r["clipsim"] for r in it["renders"]]))
    scores = [it["best_score"] for it in result.trace.to_json()["iterations"]]
    assert scores == sorted(scores)
    best_it = result.trace.to_json()["iterations"][result.trace.to_json()["result"]["best_t"] - 1]
    assert result.sem.prompt.to_dict() == best_it["prompts"][best_it["chosen"]]["prompt"]


def test_a_margin_keeps_the_first_best_unless_beaten_by_more():
    cfg = EncoderConfig(n=4, m=2, k=2, budget_bytes=None, margin=0.999)
    result, *_ = run(cfg)
    assert result.trace.to_json()["result"]["best_t"] == 1
    assert not any(it["improved"] for it in result.trace.to_json()["iterations"][1:])


@pytest.mark.parametrize("bad", [{"select": "x"}, {"accept": "median"}, {"margin": -0.1}])
def test_bad_loop_settings_are_refused(bad):
    with pytest.raises(ValueError):
        EncoderConfig(**bad).validate()


@pytest.mark.parametrize("form", ["v1", "v2", "packet"])
def test_the_encoder_writes_and_budgets_its_container_form(form):
    from semcodec.container import decode_packet

    result, *_ = run(EncoderConfig(n=2, m=3, k=2, budget_bytes=40, container=form), desc=FakeDescriber(words_per_object=8))
    assert len(result.data) <= 40
    sem = decode_packet(result.data) if form == "packet" else decode(result.data)
    assert sem.prompt == result.sem.prompt and sem.seed == result.sem.seed
    assert (result.data[:3] == b"SEM") == (form == "v1") and (result.data[0] == 0xF5) == (form == "v2")
    t = result.trace.to_json()
    assert t["config"]["container"] == t["result"]["container"] == form
    assert t["result"]["file_bytes"] == len(result.data)
    assert all(p["file_bytes"] <= 40 for it in t["iterations"] for p in it["prompts"])


def test_an_unknown_container_form_is_a_config_error():
    from semcodec.errors import ConfigError

    with pytest.raises(ConfigError, match="container must be one of v1, v2, packet"):
        EncoderConfig(container="v3").validate()


def test_the_default_margin_is_the_critics_registry_margin():
    from semcodec.registry import accept_margin

    assert accept_margin("world-graph") == 0.1 and accept_margin("ViT-B-32") == 0.01 == accept_margin("no-such")
    critic = FakeCritic()
    result, *_ = run(EncoderConfig(n=2, m=2, k=2, budget_bytes=None), critic=critic)
    assert result.trace.to_json()["config"]["margin"] == accept_margin(getattr(critic, "name", None))
    critic.name = "world-graph"  # the margin follows the critic's entry
    result, *_ = run(EncoderConfig(n=2, m=2, k=2, budget_bytes=None), critic=critic)
    assert result.trace.to_json()["config"]["margin"] == 0.1
    result, *_ = run(EncoderConfig(n=2, m=2, k=2, budget_bytes=None, margin=0.0), critic=critic)  # a given one wins
    assert result.trace.to_json()["config"]["margin"] == 0.0
