import pytest

from semcodec.tokens import clip_token_count
from extras import needs_local

TEXTS = [
    "a red boat on a calm lake",
    "A cluttered home office, a silver laptop, a ceramic mug of coffee, soft daylight",
    "Straße in Köln bei Nacht 🌃, 雨の歩道, néon bleu &amp; don't stop",
    "   spaced    out\u00a0text!!! 12345 ",
    "x",
]


@needs_local
@pytest.mark.parametrize("text", TEXTS)
def test_counts_match_open_clip(text):
    from open_clip.tokenizer import SimpleTokenizer

    assert clip_token_count(text) == len(SimpleTokenizer().encode(text)) + 2


@needs_local
def test_semenc_prompt_refuses_a_prompt_over_the_token_limit(tmp_path, capsys):
    import json

    from semcodec.cli import semenc

    p = tmp_path / "long.json"
    p.write_text(json.dumps({"scene": " ".join(["word"] * 60), "objects": [" ".join(["word"] * 23)], "lighting": ""}))
    assert semenc.main(["--prompt", str(p), "-o", str(tmp_path / "x.sem")]) == 1
    err = capsys.readouterr().err
    assert "86 tokens" in err and "at most 77" in err and not (tmp_path / "x.sem").exists()
    # an API decoder has no token limit: the same prompt is fine there
    assert semenc.main(["--prompt", str(p), "-o", str(tmp_path / "y.sem"), "--decoder", "gpt-image-2"]) == 0
