"""The budget ladder (semcodec/budget.py): each rung in its order, and shorten()."""

import pytest
from hypothesis import given, settings, strategies as st

from semcodec.budget import Budget, next_cut, shorten
from semcodec.errors import BudgetError
from semcodec.prompt import Prompt
from semcodec.registry import decoder_by_name, prompt_codec_by_name

FULL = Prompt(
    scene="a quiet harbour at dawn with fishing boats",
    objects=("a red lighthouse on the rocks", "two gulls", "a rowing boat"),
    lighting="soft golden light",
    style="watercolour",
)


def ladder(p):
    out = [p]
    while (p := next_cut(p)) is not None:
        out.append(p)
    return out


def budget(max_file_bytes=None, max_text_bytes=None, count_tokens=None, codec="lm-ac-v2"):
    return Budget(
        decoder=decoder_by_name("sd-turbo"),
        prompt_codec=prompt_codec_by_name(codec),
        width=512,
        height=512,
        seed=15,
        max_file_bytes=max_file_bytes,
        max_text_bytes=max_text_bytes,
        count_tokens=count_tokens,
    )


def test_each_rung_in_order():
    steps = ladder(FULL)
    # 1. the style goes first, and nothing else changes
    assert steps[1] == FULL.replace(style=None)
    # 2. then the last phrase of the longest multi-phrase field (the scene: "... with fishing boats")
    assert steps[2].scene == "a quiet harbour at dawn" and steps[2].objects == FULL.objects
    # ... phrase cuts continue while any field has more than one phrase
    phrase_end = next(i for i, s in enumerate(steps) if len(s.objects) < 3)
    for s in steps[2:phrase_end]:
        assert s.lighting == FULL.lighting and len(s.objects) == 3
    # 3. then objects from the end while more than one remains
    assert steps[phrase_end].objects == steps[phrase_end - 1].objects[:-1]
    one_left = next(i for i, s in enumerate(steps) if len(s.objects) == 1)
    assert steps[one_left].lighting == FULL.lighting
    # 4. then the lighting
    assert steps[one_left + 1].lighting == "" and steps[one_left + 1].objects == steps[one_left].objects
    # 5./6. then words, then the last object; the end is a bare scene word
    assert steps[-1].objects == () and " " not in steps[-1].scene
    assert all(len(a.text()) > len(b.text()) for a, b in zip(steps, steps[1:]))


def test_no_cut_is_mid_word():
    words = set(FULL.text().replace(",", " ").split())
    for s in ladder(FULL):
        assert set(s.text().replace(",", " ").split()) <= words


def test_shorten_takes_the_first_rung_that_fits():
    steps = ladder(FULL)
    for i, target in enumerate(steps):
        b = budget(max_text_bytes=len(target.text().encode()))
        assert shorten(FULL, b) == target, f"rung {i}"


def test_fitting_prompt_is_untouched_and_nothing_left_raises():
    assert shorten(FULL, budget()) is FULL
    with pytest.raises(BudgetError, match="cannot fit"):
        shorten(FULL, budget(max_text_bytes=0))


def test_token_limit_counts():
    b = budget(count_tokens=lambda text: 10 * len(text.split()))  # 77 tokens = 7 words
    out = shorten(FULL, b)
    assert 10 * len(out.text().split()) <= 77
    assert b.problem(FULL).endswith("sd-turbo's limit of 77")


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_every_budget_from_the_floor_up_is_met(data):
    # Non-vacuous: budgets are drawn from [the smallest reachable file, the full file], where a
    # fitting rung always exists, so shorten must succeed and fit; below the floor it must refuse.
    b0 = budget()
    floor = b0.file_bytes(ladder(FULL)[-1])
    top = b0.file_bytes(FULL)
    limit = data.draw(st.integers(min_value=floor, max_value=top))
    out = shorten(FULL, budget(max_file_bytes=limit))
    assert b0.file_bytes(out) <= limit
    assert out in ladder(FULL)
    with pytest.raises(BudgetError):
        shorten(FULL, budget(max_file_bytes=floor - 1))


@pytest.mark.parametrize("width,height,seed,decoder", [(512, 512, 15, "sd-turbo"), (300, 200, 127, "sd-turbo"),
                                                        (1920, 1080, 200, "world-v1"), (1024, 1024, None, "gpt-image-2")])
def test_the_budget_counts_each_container_forms_exact_bytes(width, height, seed, decoder):
    from semcodec.container import FORMS, SemFile, encode_form, form_overhead
    from semcodec.promptcodec import encode_prompt

    codec = prompt_codec_by_name("lm-ac-v2")
    payload = len(encode_prompt(FULL, codec))
    sizes = {}
    for form in FORMS:
        b = Budget(decoder=decoder_by_name(decoder), prompt_codec=codec, width=width, height=height, seed=seed,
                   container=form)
        sem = SemFile(prompt=FULL, decoder=b.decoder, prompt_codec=codec, seed=seed, width=width, height=height)
        sizes[form] = b.file_bytes(FULL)
        assert sizes[form] == len(encode_form(sem, form))
        overhead = form_overhead(form, seed=seed, width=width, height=height, decoder_id=b.decoder.id,
                                 codec_id=codec.id)
        assert sizes[form] == payload + overhead
    assert sizes["v2"] - sizes["packet"] == 3  # magic + CRC-16
    assert sizes["v1"] > sizes["v2"]


def test_the_text_hint_follows_the_container_form():
    from semcodec.encoder import EncoderConfig, text_budget_hint

    def hint(form):
        b = Budget(decoder=decoder_by_name("sd-turbo"), prompt_codec=prompt_codec_by_name("zstd-dict-v1"), width=512,
                   height=512, seed=15, max_file_bytes=40, container=form)
        return text_budget_hint(b, EncoderConfig(budget_bytes=40, container=form))

    assert hint("v1") < hint("v2") < hint("packet")


def test_a_budget_in_one_form_is_exact_at_its_edge():
    from semcodec.budget import shorten as fit

    for form in ("v1", "v2", "packet"):
        b = Budget(decoder=decoder_by_name("sd-turbo"), prompt_codec=prompt_codec_by_name("lm-ac-v2"), width=512,
                   height=512, seed=15, container=form)
        size = b.file_bytes(FULL)
        exact = Budget(**{**b.__dict__, "max_file_bytes": size})
        assert fit(FULL, exact) == FULL
        assert fit(FULL, Budget(**{**b.__dict__, "max_file_bytes": size - 1})) != FULL
