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
    assert sem.stat().st_size <= 160
    doc = json.loads(trace.read_text())
    it = doc["images"][0]
    assert it["calls"]["text_scorings"] == 4 and it["calls"]["renders"] == 4
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
    rc = semenc.main([str(photo), "-o", "never.sem", "--preset", "reference", "--dry-run"])
    out = capsys.readouterr().out
    assert rc == 0 and "estimated API cost" in out and "dall-e-3" in out and "gpt-4.1-mini" in out
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
