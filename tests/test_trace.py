"""The typed trace writes exactly the keys spec/trace.md lists."""

import re
from pathlib import Path

from semcodec.encoder import REFERENCE_LOOP, EncoderConfig
from semcodec.trace import trace_file

from test_encoder import photo, run

SPEC = (Path(__file__).resolve().parent.parent / "spec" / "trace.md").read_text(encoding="utf-8")


def _table_keys(heading: str) -> set[str]:
    """The backticked keys of the first column of the table after ``heading``."""
    lines = SPEC.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    keys: set[str] = set()
    for line in rows:
        if line.startswith("|--") or line.startswith("| key") or line.startswith("|---"):
            continue
        first = line.split("|")[1]
        keys |= set(re.findall(r"`([a-z_]+)`", first))
    return keys


def test_image_and_iteration_keys_are_the_spec_tables():
    cfg = EncoderConfig(n=3, m=2, k=2, budget_bytes=None, patience=1, **REFERENCE_LOOP)
    result, *_ = run(cfg, image=photo())
    result.trace.input, result.trace.output = "in.png", "out.sem"
    doc = result.trace.to_json()
    image_keys = _table_keys("One `IMAGE_TRACE` per input image")
    optional = {"stopped_early"}  # present only when patience ran out
    assert set(doc) - optional == image_keys - optional
    it_keys = _table_keys("`ITERATION`:")
    for it in doc["iterations"]:
        assert set(it) == it_keys
    assert trace_file([result.trace]) == {"semcodec_trace": 1, "images": [doc]}


def test_the_typed_record_and_its_json_agree():
    cfg = EncoderConfig(n=2, m=2, k=2, budget_bytes=None, **REFERENCE_LOOP)
    result, *_ = run(cfg, image=photo())
    doc = result.trace.to_json()
    assert [it["best_clipsim"] for it in doc["iterations"]] == [it.best_clipsim for it in result.trace.iterations]
    assert doc["result"]["file_bytes"] == result.trace.result.file_bytes == result.file_bytes
    assert doc["calls"] == {"text_scorings": 4, "renders": 4, "model_calls": len(result.trace.iterations[0].model_calls)
                            + len(result.trace.iterations[1].model_calls)}
    assert "input" not in doc and "stopped_early" not in doc
