"""tools/bits_by_part.py: an lm-ac codec's payload bits split by the part of the sequence that coded them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from semcodec.prompt import Prompt
from semcodec.registry import prompt_codec_by_name
from semcodec.promptcodec import encode_prompt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import bits_by_part as B  # noqa: E402

PROMPTS = [
    Prompt("a rainy street in Tokyo at night", ("a London bus", "a red LED sign", "zzxqv 31415"), "neon light", "photo"),
    Prompt("a kitchen", (), "", None),
]


@pytest.mark.parametrize("codec", ["lm-ac-v1", "lm-ac-v2", "lm-ac-v6"])
def test_parts_add_up_to_the_payload(codec) -> None:
    bits, total, nchar = B.measure(codec, PROMPTS)
    assert total == sum(len(encode_prompt(p, prompt_codec_by_name(codec))) for p in PROMPTS)
    assert nchar == sum(len(p.text().encode()) for p in PROMPTS)
    assert set(bits) <= set(B.PARTS) and sum(bits.values()) == pytest.approx(8 * total, abs=1e-6)
    assert bits["tokens"] > bits["case"] > 0 and bits["spelling"] > 0 and bits["flags"] > 0  # "zzxqv" is spelled
    assert -8 * len(PROMPTS) < bits["tail"] < 8 * len(PROMPTS) + 64  # termination: about a byte a payload, either way
    assert (bits.get("fallback", 0.0) > 0) == (codec == "lm-ac-v6")  # only the network codecs have a fallback table


def test_lm_ac_v6_spends_less_on_case_than_lm_ac_v5_and_the_same_elsewhere() -> None:
    v5, _, _ = B.measure("lm-ac-v5", PROMPTS)
    v6, _, _ = B.measure("lm-ac-v6", PROMPTS)
    assert v6["case"] < v5["case"] / 2
    for part in ("tokens", "fallback", "spelling", "flags"):
        assert v6[part] == pytest.approx(v5[part])


def test_main_prints_a_row_per_part(capsys, tmp_path) -> None:
    corpus = tmp_path / "p.jsonl"
    corpus.write_text('{"scene": "a red barn", "objects": ["two Horses"], "lighting": "", "style": null}\n', encoding="utf-8")
    assert B.main(["--codec", "lm-ac-v2", "--prompts", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "1 prompts from" in out and "codec lm-ac-v2" in out
    for part in (*B.PARTS, "payload"):
        assert any(line.split()[:1] == [part] for line in out.splitlines())


def test_a_codec_that_is_not_lm_ac_is_refused() -> None:
    with pytest.raises(SystemExit):
        B.main(["--codec", "zstd-dict-v1"])
