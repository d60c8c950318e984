"""End to end through the CLI: tiny random-weight models + the fake OpenAI server.

semenc (real open_clip critic, real diffusers pipeline, real openai client)
-> .sem -> semdec, and the receiver's picture equals the encoder's choice.
"""

import json

import numpy as np
import pytest
from PIL import Image

from semcodec.cli import semdec, semenc, seminfo
from semcodec.testing.fake_openai import FakeOpenAI, Reply
from extras import needs_openai


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "in.png"
    Image.fromarray(rng.integers(0, 255, size=(30, 40, 3), dtype=np.uint8), "RGB").save(path)
    return path


@pytest.fixture
def api(monkeypatch):
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        yield fake


def test_encode_decode_exact_picture(tiny_model_dir, photo, tmp_path, api, capsys):
    sem, preview, out, trace = (tmp_path / n for n in ("in.sem", "preview.png", "out.png", "trace.json"))
    rc = semenc.main([str(photo), "-o", str(sem), "--model-dir", str(tiny_model_dir), "-n", "2", "-m", "2", "-k", "2",
                      "--budget", "160", "--preview", str(preview), "--trace", str(trace)])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "sent to OpenAI" in err and "bpp" in err and "CLIPSim" in err
    assert len(api.requests_to("chat")) == 2  # 1 describe + 1 refine
    describe, refine = api.requests_to("chat")
    assert describe.images == 1 and refine.images == 2  # the refiner sees the original and the best render
    assert describe.body["model"] == "gpt-6-luna" and refine.body["reasoning_effort"] == "low"
    assert sem.stat().st_size <= 160
    doc = json.loads(trace.read_text())
    it = doc["images"][0]
    assert it["calls"]["text_scorings"] == 4 and it["calls"]["renders"] == 4
    (refine_call,) = it["iterations"][1]["model_calls"]
    assert refine_call["kind"] == "refine" and refine_call["extra"]["images_sent"] == ["original", "best render"]
    assert [x["best_clipsim"] for x in it["iterations"]] == sorted(x["best_clipsim"] for x in it["iterations"])
    assert semdec.main([str(sem), "-o", str(out), "--model-dir", str(tiny_model_dir)]) == 0
    assert "exact picture" in capsys.readouterr().err
    a, b = np.asarray(Image.open(preview)), np.asarray(Image.open(out))
    assert a.shape == (30, 40, 3) and np.array_equal(a, b)
    assert seminfo.main(["--json", str(sem)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["seed"] == it["result"]["seed"] and info["width"] == 40 and info["height"] == 30


def test_decode_with_another_decoder_says_so(tiny_model_dir, tmp_path, capsys):
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"scene": "a red boat", "objects": [], "lighting": ""}))
    sem = tmp_path / "p.sem"
    assert semenc.main(["--prompt", str(p), "-o", str(sem), "--decoder", "gpt-image-2", "--size", "64x48"]) == 0
    out = tmp_path / "o.png"
    assert semdec.main([str(sem), "-o", str(out), "--decoder", "sd-turbo", "--model-dir", str(tiny_model_dir)]) == 0
    assert "not the picture the encoder chose" in capsys.readouterr().err
    assert Image.open(out).size == (64, 48)


@needs_openai
def test_openai_decoder_through_fake_server(tmp_path, api, capsys):
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"scene": "a red boat", "objects": ["a gull"], "lighting": "dawn"}))
    for decoder in ("gpt-image-2", "dalle3"):
        sem, out = tmp_path / f"{decoder}.sem", tmp_path / f"{decoder}.webp"
        assert semenc.main(["--prompt", str(p), "-o", str(sem), "--decoder", decoder, "--size", "300x200"]) == 0
        assert semdec.main([str(sem), "-o", str(out)]) == 0
        assert "takes no seed" in capsys.readouterr().err
        assert Image.open(out).size == (300, 200) and Image.open(out).format == "WEBP"
    sent = [r.body for r in api.requests_to("images")]
    assert sent[0]["model"] == "gpt-image-2" and "style" not in sent[0]
    assert sent[1]["model"] == "dall-e-3" and sent[1]["style"] == "natural" and sent[1]["quality"] == "hd"


@needs_openai
def test_retired_model_is_one_clear_line(tmp_path, api, capsys):
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"scene": "a red boat", "objects": [], "lighting": ""}))
    sem, out = tmp_path / "d.sem", tmp_path / "d.png"
    semenc.main(["--prompt", str(p), "-o", str(sem), "--decoder", "dalle3"])
    capsys.readouterr()
    api.push(Reply.model_not_found("dall-e-3"), route="images")
    assert semdec.main([str(sem), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "retired" in err and "gpt-image-2" in err and not out.exists()


def test_api_failure_mid_run_leaves_no_output(tiny_model_dir, photo, tmp_path, api, capsys):
    api.push(Reply(200), route="chat")  # round 1 answers normally
    api.push(*[Reply.error(400, "Invalid request: bad things", code="invalid_value")] * 4, route="chat")
    sem, trace = tmp_path / "x.sem", tmp_path / "t.json"
    rc = semenc.main([str(photo), "-o", str(sem), "--model-dir", str(tiny_model_dir), "-n", "3", "-m", "2", "-k", "1",
                      "--trace", str(trace), "--preview", str(tmp_path / "p.png")])
    assert rc == 1
    assert not sem.exists() and not trace.exists() and not (tmp_path / "p.png").exists()
    assert "Traceback" not in capsys.readouterr().err


def test_dry_run_calls_nothing(photo, api, capsys):
    from semcodec.cli.encode_run import check_describer_model
    from semcodec.registry import REFERENCE_TEXT_MODEL

    # gpt-4.1-mini until its shutdown date (2027-01-14), its replacement after: the preset follows the calendar.
    model = check_describer_model("openai", REFERENCE_TEXT_MODEL, "reference") or REFERENCE_TEXT_MODEL
    capsys.readouterr()
    rc = semenc.main([str(photo), "-o", "never.sem", "--preset", "reference", "--dry-run"])
    out = capsys.readouterr().out
    assert rc == 0 and "estimated API cost" in out and "dall-e-3" in out and model in out
    assert api.requests == []


def test_missing_key_is_exit_4(tiny_model_dir, photo, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    rc = semenc.main([str(photo), "-o", str(tmp_path / "x.sem"), "--model-dir", str(tiny_model_dir)])
    assert rc == 4 and "OPENAI_API_KEY" in capsys.readouterr().err


def test_bad_image_is_exit_3_before_any_model(tmp_path, capsys):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"nope")
    assert semenc.main([str(bad), "-o", str(tmp_path / "x.sem")]) == 3
    err = capsys.readouterr().err
    assert "bad.jpg" in err and err.count("\n") == 1


def test_captions_file_reaches_the_describer(tiny_model_dir, photo, tmp_path, api, capsys):
    caps = tmp_path / "caps.json"
    caps.write_text(json.dumps({"in.png": "a tabby cat asleep on a striped sofa"}))
    rc = semenc.main([str(photo), "-o", str(tmp_path / "c.sem"), "--model-dir", str(tiny_model_dir), "-n", "1", "-m", "2",
                      "-k", "1", "--captions", str(caps), "-q"])
    assert rc == 0, capsys.readouterr().err
    sent = json.dumps(api.requests_to("chat")[0].body)
    assert "a tabby cat asleep on a striped sofa" in sent
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert semenc.main([str(photo), "-o", str(tmp_path / "d.sem"), "--captions", str(bad)]) == 3


def test_help_and_models_list_name_the_default_describer_model(capsys):
    from semcodec.cli import semmodels

    with pytest.raises(SystemExit):
        semenc.semenc(["--help"])
    assert "default gpt-6-luna" in " ".join(capsys.readouterr().out.split())
    assert semmodels.main(["list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out) if r["kind"] == "describer"}
    assert rows["openai"]["model"] == "gpt-6-luna"


def test_retired_describer_model_is_refused_naming_the_replacement(photo, tmp_path, api, capsys):
    rc = semenc.main([str(photo), "-o", str(tmp_path / "x.sem"), "--describer-model", "gpt-4.1-nano"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "gpt-4.1-nano was shut down by OpenAI on 2026-10-23; use gpt-5.6-luna" in err
    assert api.requests == [] and not (tmp_path / "x.sem").exists()


def test_describer_model_near_shutdown_warns_once_and_reference_preset_falls_back(capsys):
    from semcodec.cli.common import CliError
    from semcodec.cli.encode_run import check_describer_model

    assert check_describer_model("openai", "gpt-4.1-mini", None, today="2026-12-20") == "gpt-4.1-mini"
    err = capsys.readouterr().err
    assert err.count("warning") == 1 and "2027-01-14 (25 days); use gpt-6-luna" in err
    # past the date: the reference preset falls back (and says so), any other choice is refused
    assert check_describer_model("openai", "gpt-4.1-mini", "reference", today="2027-01-15") == "gpt-6-luna"
    assert "reference preset falls back to gpt-6-luna" in capsys.readouterr().err
    with pytest.raises(CliError, match="use gpt-6-luna"):
        check_describer_model("openai", "gpt-4.1-mini", None, today="2027-01-15")
    assert check_describer_model("local-vlm", None, None, today="2030-01-01") is None


def test_dry_run_counts_the_refiners_second_image(photo, api, capsys):
    from semcodec.backends.openai_common import estimate_describe_cost

    rc = semenc.main([str(photo), "-o", "never.sem", "--dry-run", "-n", "3"])
    out = capsys.readouterr().out
    assert rc == 0 and api.requests == []
    assert "1 describe calls to gpt-6-luna" in out and "2 refine calls to gpt-6-luna" in out and "2 images attached" in out
    refine_line = next(line for line in out.splitlines() if "refine calls" in line)
    assert f"~${2 * estimate_describe_cost('gpt-6-luna', 3, images=2):.4f}" in refine_line


def test_interrogator_encodes_a_fixture_photo_offline_with_the_photo_vocabulary(tiny_model_dir, tmp_path, capsys):
    from pathlib import Path

    from semcodec.backends.interrogator import Vocabulary

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "coffee.png"
    sem, trace = tmp_path / "coffee.sem", tmp_path / "trace.json"
    rc = semenc.main([str(fixture), "-o", str(sem), "--describer", "interrogator", "--model-dir", str(tiny_model_dir),
                      "-n", "2", "-m", "2", "-k", "1", "--trace", str(trace), "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "OpenAI" not in err and sem.stat().st_size <= 160
    vocab = Vocabulary.load("photo")
    doc = json.loads(trace.read_text())["images"][0]
    prompts = [p["prompt"] for it in doc["iterations"] for p in it["prompts"]]
    assert prompts and all(p["scene"] in vocab.scenes for p in prompts)
    phrases = set(vocab.objects) | {f"{c} {n}" for n in vocab.objects for c in vocab.colours} | {
        f"{k} {pl}" for _, pl in vocab.plurals for k in vocab.counts}
    assert all(o in phrases for p in prompts for o in p["objects"])
    assert all(p["lighting"] in (*vocab.lighting, "") and p["style"] in (*vocab.styles, None) for p in prompts)
    calls = [c for it in doc["iterations"] for c in it["model_calls"]]
    assert {c["extra"]["vocabulary"] for c in calls} == {"photo-vocab-v1"}
    assert {c["model"] for c in calls} == {"interrogator/ViT-B-32"}  # the loop's critic
    rc = semenc.main([str(fixture), "-o", str(sem), "--vocab", "photo"])
    assert rc == 2 and "--describer interrogator" in capsys.readouterr().err


def test_responses_api_shape_end_to_end(tiny_model_dir, photo, tmp_path, api, monkeypatch, capsys):
    monkeypatch.setenv("SEMCODEC_OPENAI_API", "responses")
    trace = tmp_path / "t.json"
    rc = semenc.main([str(photo), "-o", str(tmp_path / "r.sem"), "--model-dir", str(tiny_model_dir), "-n", "2", "-m", "2",
                      "-k", "1", "--trace", str(trace), "-q"])
    assert rc == 0, capsys.readouterr().err
    assert api.requests_to("chat") == []
    describe, refine = api.requests_to("responses")
    assert describe.images == 1 and refine.images == 2
    assert refine.body["model"] == "gpt-6-luna" and refine.body["reasoning"] == {"effort": "low"}
    calls = [c for it in json.loads(trace.read_text())["images"][0]["iterations"] for c in it["model_calls"]]
    assert [c["extra"]["api"] for c in calls] == ["responses", "responses"]
    monkeypatch.setenv("SEMCODEC_OPENAI_API", "grpc")
    assert semenc.main([str(photo), "-o", str(tmp_path / "s.sem"), "--model-dir", str(tiny_model_dir)]) != 0
    err = capsys.readouterr().err
    assert "SEMCODEC_OPENAI_API" in err and "Traceback" not in err
