"""The CLI contract of semenc --prompt, seminfo and the common error behaviour."""

import json
import subprocess
import sys

import pytest

from semcodec.cli import semdec, semenc, sembench, seminfo

PROMPT = {"scene": "a quiet harbour at dawn", "objects": ["two red fishing boats", "a wooden pier"],
          "lighting": "soft pink light", "style": "photo, 50mm"}


@pytest.fixture
def prompt_file(tmp_path):
    p = tmp_path / "p.json"
    p.write_text(json.dumps(PROMPT))
    return p


def info_json(capsys, path):
    assert seminfo.main(["--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


def test_prompt_round_trips_every_field(tmp_path, prompt_file, capsys):
    out = tmp_path / "p.sem"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out), "--seed", "3", "--size", "768x512",
                        "--decoder", "sdxl-turbo", "--prompt-codec", "zstd-dict-v1"]) == 0
    capsys.readouterr()
    info = info_json(capsys, out)
    size = out.stat().st_size
    assert info == {
        "format_version": 1, "decoder": {"id": 2, "name": "sdxl-turbo"},
        "prompt_codec": {"id": 1, "name": "zstd-dict-v1"}, "seed": 3, "width": 768, "height": 512,
        "prompt": PROMPT, "file_bytes": size, "bpp": 8 * size / (768 * 512),
    }


def test_defaults(tmp_path, prompt_file, capsys):
    out = tmp_path / "d.sem"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out)]) == 0
    info = info_json(capsys, out)
    assert (info["seed"], info["width"], info["height"], info["decoder"]["name"], info["prompt_codec"]["name"]) == (
        0, 512, 512, "sd-turbo", "zstd-dict-v1")


def test_openai_decoder_has_no_seed(tmp_path, prompt_file, capsys):
    out = tmp_path / "o.sem"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out), "--decoder", "gpt-image-2"]) == 0
    assert "takes no seed" in capsys.readouterr().err
    assert info_json(capsys, out)["seed"] is None
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out), "--decoder", "dalle3", "--seed", "1"]) == 2


def test_unicode_and_no_style(tmp_path, capsys):
    p = {"scene": "Straße in Köln bei Nacht 🌃", "objects": [], "lighting": "", "style": None}
    src = tmp_path / "u.json"
    src.write_text(json.dumps(p, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "u.sem"
    assert semenc.main(["--prompt", str(src), "-o", str(out)]) == 0
    capsys.readouterr()
    assert info_json(capsys, out)["prompt"] == p


def test_stdin_and_stdout(tmp_path, capfdbinary):
    r = subprocess.run([sys.executable, "-m", "semcodec.cli.semenc", "--prompt", "-", "-o", "-"],
                       input=json.dumps(PROMPT).encode(), capture_output=True, check=True)
    assert r.stdout[:3] == b"SEM"
    r2 = subprocess.run([sys.executable, "-m", "semcodec.cli.seminfo", "--json", "-"], input=r.stdout,
                        capture_output=True, check=True)
    assert json.loads(r2.stdout)["prompt"] == PROMPT


def test_human_output(tmp_path, prompt_file, capsys):
    out = tmp_path / "h.sem"
    semenc.main(["--prompt", str(prompt_file), "-o", str(out)])
    capsys.readouterr()
    assert seminfo.main([str(out)]) == 0
    text = capsys.readouterr().out
    assert "sd-turbo (id 1, deterministic)" in text and "two red fishing boats" in text and "bpp" in text


@pytest.mark.parametrize("content, fragment", [
    (b"", "empty file"), (b"hello world", "not a .sem file"), (b"SEM\x01" + b"\x00" * 20, "CRC"),
])
def test_bad_files_one_line_exit_3(tmp_path, capsys, content, fragment):
    bad = tmp_path / "bad.sem"
    bad.write_bytes(content)
    assert seminfo.main(["--json", str(bad)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.sem" in err and "Traceback" not in err
    import re

    assert re.search(fragment, err)


def test_missing_path_and_directory(tmp_path, capsys):
    assert seminfo.main([str(tmp_path / "nope.sem")]) == 3
    assert "no such file" in capsys.readouterr().err
    assert seminfo.main([str(tmp_path)]) == 3
    assert "is a directory" in capsys.readouterr().err


def test_bad_prompt_json_no_output(tmp_path, capsys):
    src = tmp_path / "bad.json"
    src.write_text('{"scene": "", "objects": [], "lighting": ""}')
    out = tmp_path / "x.sem"
    assert semenc.main(["--prompt", str(src), "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert "scene must not be empty" in err and "bad.json" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_output_folder_missing(tmp_path, prompt_file, capsys):
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(tmp_path / "no" / "x.sem")]) == 3
    assert "does not exist" in capsys.readouterr().err


def test_usage_errors_exit_2(tmp_path, prompt_file, capsys):
    assert semenc.main(["--prompt", str(prompt_file)]) == 2
    assert semenc.main(["--prompt", str(prompt_file), "-o", "x.sem", "--size", "big"]) == 2
    assert semenc.main(["--prompt", str(prompt_file), "-o", "x.sem", "--decoder", "nope"]) == 2
    assert semenc.main([]) == 2
    assert seminfo.main([]) == 2


@pytest.mark.parametrize("module", [semenc, semdec, seminfo, sembench])
def test_version_and_help(module, capsys):
    assert module.main(["--version"]) == 0
    assert "0." in capsys.readouterr().out
    assert module.main(["--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_light_imports():
    code = ("import sys, semcodec, semcodec.cli.seminfo, semcodec.cli.semdec, semcodec.cli.semenc, semcodec.cli.sembench;"
            "heavy = [m for m in ('torch', 'open_clip', 'diffusers', 'transformers', 'openai', 'numpy') if m in sys.modules];"
            "print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"
    r = subprocess.run([sys.executable, "-m", "semcodec.cli.semdec", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
