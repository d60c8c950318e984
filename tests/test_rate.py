"""sembench rate: per-prompt byte counts, the summary, the command and its errors."""

import json
import zlib
from importlib import resources

import msgpack
import pytest
import zstandard

from semcodec.bench import rate as R
from semcodec.cli import bench_rate
from semcodec.cli import sembench
from semcodec.container import SemFile, decode
from semcodec.errors import PromptError, SemError
from semcodec.prompt import Prompt
from semcodec.promptcodec import decode_prompt, encode_prompt
from semcodec.registry import PROMPT_CODECS as REGISTERED
from semcodec.registry import PromptCodecSpec

PROMPTS = [
    Prompt("a quiet harbour at dawn", ("two red fishing boats", "a wooden pier"), "soft pink light", "photo, 50mm"),
    Prompt("a bowl of ramen on a counter", ("chopsticks", "a soft-boiled egg"), ""),
    Prompt("Café façade", (), "neon"),
]


@pytest.fixture(autouse=True)
def only_codec_1(monkeypatch):
    """Exact expectations below are about zstd-dict-v1 (made the default here); other codecs have their own test."""
    monkeypatch.setattr(R, "PROMPT_CODECS", tuple(c for c in REGISTERED if c.id == 1))
    monkeypatch.setattr(R, "DEFAULT_PROMPT_CODEC", "zstd-dict-v1")


def write_jsonl(path, prompts):
    path.write_text("".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in prompts), encoding="utf-8")
    return path


def independent_sizes(p: Prompt) -> dict:
    """The same numbers, computed without semcodec's codec code."""
    text = p.text().encode("utf-8")
    items = [p.scene, list(p.objects), p.lighting] + ([p.style] if p.style is not None else [])
    raw = msgpack.packb(items, use_bin_type=True)
    magicless = dict(format=zstandard.FORMAT_ZSTD1_MAGICLESS, write_content_size=0, write_checksum=0, write_dict_id=0)
    plain = zstandard.ZstdCompressor(compression_params=zstandard.ZstdCompressionParameters.from_level(19, **magicless))
    zdict = zstandard.ZstdCompressionDict(
        resources.files("semcodec.promptcodec").joinpath("data", "zstd-dict-v1.bin").read_bytes(),
        dict_type=zstandard.DICT_TYPE_FULLDICT,
    )
    with_dict = zstandard.ZstdCompressor(
        dict_data=zdict, compression_params=zstandard.ZstdCompressionParameters.from_level(19, **magicless)
    )
    payload = with_dict.compress(raw)
    # magic, version, flags, decoder 1, codec 1, seed 0, width 512 and height 512 (2-byte varints), CRC
    header = 3 + 1 + 1 + 1 + 1 + 1 + 2 + 2
    return {
        "text": len(text),
        "zlib9": len(zlib.compress(text, 9)),
        "msgpack": len(raw),
        "zstd19": len(plain.compress(raw)),
        "zstd-dict-v1": len(payload),
        "sem": header + len(payload) + 4,
    }


def test_rows_match_an_independent_computation():
    rows = R.rate_rows(PROMPTS)
    assert len(rows) == len(PROMPTS)
    for p, row in zip(PROMPTS, rows):
        assert list(row) == R.columns()
        expected = independent_sizes(p)
        assert {k: row[k] for k in expected} == expected
        assert row["sem"] == R.sem_overhead() + row["zstd-dict-v1"]
    assert rows[2]["text"] == len("Café façade, neon".encode("utf-8")) == 19


def test_the_sem_column_is_a_real_file():
    from semcodec.container import SemFile

    data = SemFile.create(PROMPTS[0], prompt_codec="zstd-dict-v1", version=1).to_bytes()  # the sem row is v1
    assert R.rate_rows(PROMPTS[:1])[0]["sem"] == len(data)
    sem = decode(data)
    assert sem.prompt == PROMPTS[0] and sem.seed == 0 and (sem.width, sem.height) == (512, 512)
    assert sem.decoder.name == "sd-turbo" and R.sem_overhead() == 16


def test_summary_totals_means_and_bits_per_character():
    rows = R.rate_rows(PROMPTS)
    s = R.summarise(rows, "x")
    text_total = sum(len(p.text().encode("utf-8")) for p in PROMPTS)
    assert s.prompts == 3 and s.text_bytes == text_total
    by = {m["name"]: m for m in s.methods}
    assert by["text"]["bits_per_char"] == 8.0
    for name in R.columns():
        total = sum(r[name] for r in rows)
        assert by[name]["total_bytes"] == total
        assert by[name]["mean_bytes"] == pytest.approx(total / 3)
        assert by[name]["bits_per_char"] == pytest.approx(8 * total / text_total)
        assert by[name]["min_bytes"] == min(r[name] for r in rows)
    with pytest.raises(SemError):
        R.summarise([], "empty")


def test_every_registered_prompt_codec_becomes_a_column(monkeypatch):
    extra = PromptCodecSpec(id=99, name="test-codec", module="zstd_dict", description="a second codec for the test")
    monkeypatch.setattr(R, "PROMPT_CODECS", (*R.PROMPT_CODECS, extra))
    cols = R.columns()
    assert cols.index("test-codec") < cols.index("sem") < cols.index("sem:test-codec") < cols.index("sem-v2")
    assert cols[-2:] == ["sem-v2:test-codec", "sem-packet:test-codec"]
    rows = R.rate_rows(PROMPTS[:2])
    assert all(r["test-codec"] == r["zstd-dict-v1"] > 0 for r in rows)
    assert all(r["sem:test-codec"] == r["sem"] for r in rows)  # same payload bytes, same header size
    labels = [m["label"] for m in R.summarise(rows, "x").methods]
    assert any("test-codec (ID 99)" in label for label in labels)


def test_the_shipped_layout_measures_the_default_codec_as_the_file(monkeypatch):
    from semcodec.registry import DEFAULT_PROMPT_CODEC

    monkeypatch.setattr(R, "PROMPT_CODECS", REGISTERED)
    monkeypatch.setattr(R, "DEFAULT_PROMPT_CODEC", DEFAULT_PROMPT_CODEC)
    assert DEFAULT_PROMPT_CODEC == "lm-ac-v2"
    cols = R.columns()
    others = ["zstd-dict-v1", "lm-ac-v1", "lm-ac-v3", "lm-ac-v4", "lm-ac-v5", "lm-ac-v6"]
    assert cols[-(3 * len(others) + 3):] == ["sem", *(f"sem:{c}" for c in others), "sem-v2", "sem-packet",
                                             *(f"{f}:{c}" for c in others for f in ("sem-v2", "sem-packet"))]
    for p, row in zip(PROMPTS, R.rate_rows(PROMPTS)):
        assert row["sem"] == R.sem_overhead() + row["lm-ac-v2"]
        assert row["sem:zstd-dict-v1"] == R.sem_overhead() + row["zstd-dict-v1"]
        data = SemFile.create(p, version=1).to_bytes()  # the container's default is the same codec
        assert row["sem"] == len(data) and decode(data).prompt_codec.name == "lm-ac-v2"
        assert row["sem-v2"] == len(SemFile.create(p).to_bytes())  # the default written is the v2 file
    labels = {m["name"]: m["label"] for m in R.summarise(R.rate_rows(PROMPTS), "x").methods}
    assert labels["sem"].startswith(".sem v1 file (lm-ac-v2,")
    assert labels["sem-v2"].startswith(".sem v2 file, the default")


def test_every_registered_prompt_codec_is_measured(monkeypatch):
    monkeypatch.setattr(R, "PROMPT_CODECS", REGISTERED)
    rows = R.rate_rows(PROMPTS)
    for spec in REGISTERED:
        for p, row in zip(PROMPTS, rows):
            payload = encode_prompt(p, spec)
            assert row[spec.name] == len(payload) and decode_prompt(payload, spec) == p


def test_main_prints_a_table_of_real_numbers(tmp_path, capsys):
    path = write_jsonl(tmp_path / "c.jsonl", PROMPTS)
    assert bench_rate.main([str(path)]) == 0
    out = capsys.readouterr().out
    rows = R.rate_rows(PROMPTS)
    total_text = sum(r["text"] for r in rows)
    assert f"3 prompts from {path}" in out
    dict_line = next(line for line in out.splitlines() if "zstd-dict-v1 (ID 1)" in line)
    total = sum(r["zstd-dict-v1"] for r in rows)
    assert dict_line.split()[-5:] == [str(total), f"{total / 3:.1f}", str(min(r["zstd-dict-v1"] for r in rows)),
                                      str(max(r["zstd-dict-v1"] for r in rows)), f"{8 * total / total_text:.3f}"]
    assert "16 bytes a file (header 12 + CRC-32 4), 48 bytes in all" in out


def test_json_output_and_the_sembench_group(tmp_path, capsys):
    path = write_jsonl(tmp_path / "c.jsonl", PROMPTS)
    assert sembench.main(["rate", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["prompts"] == 3 and data["sem_overhead_bytes_per_file"] == 16
    assert [m["name"] for m in data["methods"]] == R.columns()
    sem = next(m for m in data["methods"] if m["name"] == "sem")
    assert sem["total_bytes"] == sum(r["sem"] for r in R.rate_rows(PROMPTS))
    assert data["sem_mean_bpp_512"] == pytest.approx(8 * sem["mean_bytes"] / 512**2)


def test_timing_reports_every_codec_in_text_and_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(R, "PROMPT_CODECS", REGISTERED)
    path = write_jsonl(tmp_path / "c.jsonl", PROMPTS)
    assert bench_rate.main([str(path), "--timing", "--json"]) == 0
    timings = json.loads(capsys.readouterr().out)["timings"]
    assert [t["name"] for t in timings] == [c.name for c in REGISTERED]
    longest = max(len(p.text().encode("utf-8")) for p in PROMPTS)
    for t in timings:
        assert t["longest_text_bytes"] == longest
        assert 0 < t["encode_mean_ms"] <= t["encode_max_ms"] and 0 < t["decode_mean_ms"] <= t["decode_max_ms"]
        assert t["first_call_ms"] > 0
    assert bench_rate.main([str(path), "--timing"]) == 0
    out = capsys.readouterr().out
    assert "\n\nprompt codec (warm, best of 3 a prompt)" in out
    assert all(any(line.startswith(c.name + " ") for line in out.splitlines()) for c in REGISTERED)


def test_default_is_the_packaged_heldout_set(capsys):
    text = resources.files("semcodec.bench").joinpath("data", "heldout-prompts.jsonl").read_text(encoding="utf-8")
    n = sum(1 for line in text.splitlines() if line.strip())
    assert n >= 60
    assert bench_rate.main(["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["prompts"] == n and "held-out" in data["source"]
    by = {m["name"]: m for m in data["methods"]}
    assert by["zstd-dict-v1"]["total_bytes"] < by["zstd19"]["total_bytes"] < by["text"]["total_bytes"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"scene": "a", "objects": [], "lighting": ""}\n{"scene": "b", "objects": [\n', "c.jsonl:2: not valid JSON"),
        (b'{"scene": "a", "objects": [], "lighting": "", "colour": "red"}\n', "c.jsonl:1: unknown prompt key"),
        (b'\n{"scene": "", "objects": [], "lighting": ""}\n', "c.jsonl:2: scene must not be empty"),
        (b'["a", [], ""]\n', "c.jsonl:1: a prompt must be a JSON object"),
        (b"\n\n", "no prompts"),
        (b'{"scene": "caf\xe9"}\n', "not UTF-8"),
    ],
)
def test_a_bad_corpus_is_a_clear_error(tmp_path, capsys, content, message):
    path = tmp_path / "c.jsonl"
    path.write_bytes(content)
    assert bench_rate.main([str(path)]) == 3
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_load_errors_are_sem_errors_with_exit_code_3(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"scene": 1, "objects": [], "lighting": ""}\n')
    with pytest.raises(PromptError, match="c.jsonl:1: scene must be a string") as info:
        R.load_prompts(str(path))
    assert info.value.exit_code == 3
    with pytest.raises(SemError, match="no such file") as info:
        R.load_prompts(str(tmp_path / "missing.jsonl"))
    assert info.value.exit_code == 3


def test_v2_rows_are_the_v2_file_and_packet_of_the_default_codec():
    for row in R.rate_rows(PROMPTS):
        assert row["sem-v2"] == R.sem_overhead(version=2) + row[R.DEFAULT_PROMPT_CODEC] == row["sem"] - 10
        assert row["sem-packet"] == R.sem_overhead(version="packet") + row[R.DEFAULT_PROMPT_CODEC] == row["sem-v2"] - 3
        for c in R._other_codecs():  # every registered ID fits the packed ID byte: the same overheads
            assert row[f"sem-v2:{c.name}"] == row[f"sem-packet:{c.name}"] + 3 == row[c.name] + 6
    assert (R.sem_overhead(), R.sem_overhead(version=2), R.sem_overhead(version="packet")) == (16, 6, 3)


def test_the_json_names_the_default_container_and_every_forms_overhead():
    doc = R.summarise(R.rate_rows(PROMPTS), "x").to_json()
    assert doc["default_container"] == "v2"
    assert (doc["sem_overhead_bytes_per_file"], doc["sem_v2_overhead_bytes_per_file"], doc["sem_packet_overhead_bytes"]) == (16, 6, 3)
    v2 = next(m for m in doc["methods"] if m["name"] == "sem-v2")
    assert doc["sem_v2_mean_bpp_512"] == pytest.approx(8 * v2["mean_bytes"] / (512 * 512))
