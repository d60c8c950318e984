import re

import pytest
from hypothesis import given, strategies as st

from semcodec.errors import PromptError
from semcodec.prompt import MAX_OBJECTS, MAX_SCENE_BYTES, Prompt


def test_canonical_text_joins_non_empty_fields_in_order():
    p = Prompt("a quiet harbour at dawn", ("two red fishing boats", "a wooden pier"), "soft pink light")
    assert p.text() == "a quiet harbour at dawn, two red fishing boats, a wooden pier, soft pink light"
    assert Prompt("s", (), "", "oil painting").text() == "s, oil painting"
    assert Prompt("s").text() == "s"


def test_strings_are_kept_exactly():
    p = Prompt("  Café  ", ("ﬁsh", "e\u0301"), " dim ")
    assert p.scene == "  Café  " and p.objects == ("ﬁsh", "e\u0301") and p.lighting == " dim "
    assert p.text() == "  Café  , ﬁsh, e\u0301,  dim "


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"scene": ""}, "scene must not be empty"),
        ({"scene": "a\nb"}, "control character U+000A"),
        ({"scene": "tab\there"}, "control character U+0009"),
        ({"scene": "x\x7f"}, "U+007F"),
        ({"scene": "bad \ud800"}, "surrogate"),
        ({"scene": "x" * (MAX_SCENE_BYTES + 1)}, "limit is 400"),
        ({"scene": "é" * 201}, "402 bytes"),
        ({"scene": "s", "objects": ("",)}, "objects[0] must not be empty"),
        ({"scene": "s", "objects": tuple("o" for _ in range(MAX_OBJECTS + 1))}, "17 objects"),
        ({"scene": "s", "style": ""}, "style must not be empty"),
        ({"scene": "s", "lighting": 3}, "lighting must be a string"),
    ],
)
def test_rules_are_enforced(kwargs, fragment):
    with pytest.raises(PromptError, match=re.escape(fragment)):
        Prompt(**kwargs)


def test_total_text_limit():
    objs = tuple("o" * 120 for _ in range(8))
    with pytest.raises(PromptError, match="canonical text"):
        Prompt("s" * 100, objs, "l")


def test_json_round_trip_and_errors():
    p = Prompt.from_json('{"scene": "s", "objects": ["a"], "lighting": "l", "style": null}')
    assert p.style is None and p.to_dict() == {"scene": "s", "objects": ["a"], "lighting": "l", "style": None}
    with pytest.raises(PromptError, match="missing the key 'lighting'"):
        Prompt.from_json('{"scene": "s", "objects": []}')
    with pytest.raises(PromptError, match="unknown prompt key"):
        Prompt.from_json('{"scene": "s", "objects": [], "lighting": "", "mood": "x"}')
    with pytest.raises(PromptError, match="not valid JSON"):
        Prompt.from_json("{")
    with pytest.raises(PromptError, match="objects must be a list"):
        Prompt.from_json('{"scene": "s", "objects": "a", "lighting": ""}')


text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30)


@given(text, st.lists(text, max_size=5), text | st.just(""), st.none() | text)
def test_any_valid_unicode_prompt_validates(scene, objects, lighting, style):
    p = Prompt(scene, tuple(objects), lighting, style)
    assert Prompt.from_dict(p.to_dict()) == p
