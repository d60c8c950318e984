"""The CLI contract of semenc --prompt, seminfo and the common error behaviour."""

import json
import os
import re
import subprocess
import sys

import pytest

from semcodec.cli import semdec, semenc, sembench, seminfo
from extras import needs_local

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
        "format_version": 2, "decoder": {"id": 2, "name": "sdxl-turbo"},
        "prompt_codec": {"id": 1, "name": "zstd-dict-v1"}, "seed": 3, "width": 768, "height": 512,
        "prompt": PROMPT, "file_bytes": size, "bpp": 8 * size / (768 * 512),
    }


def test_defaults(tmp_path, prompt_file, capsys):
    out = tmp_path / "d.sem"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out)]) == 0
    info = info_json(capsys, out)
    assert (info["seed"], info["width"], info["height"], info["decoder"]["name"], info["prompt_codec"]["name"]) == (
        0, 512, 512, "sd-turbo", "lm-ac-v2")
    assert info["format_version"] == 2 and out.read_bytes()[0] == 0xF5  # v2 is the default written


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
    assert r.stdout[:1] == b"\xf5"
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


@pytest.mark.parametrize("module, prog", [(semenc, "semenc"), (semdec, "semdec"), (seminfo, "seminfo"), (sembench, "sembench")])
def test_version_and_help(module, prog, capsys):
    from semcodec import __version__

    assert module.main(["--version"]) == 0
    assert capsys.readouterr().out == f"{prog} (semcodec) {__version__}\n"
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


def _run(module, *args, **kw):
    env = {**os.environ, **kw.pop("env", {})}
    return subprocess.run([sys.executable, "-m", f"semcodec.cli.{module}", *args], capture_output=True, env=env, **kw)


def _one_line_error(stderr: bytes, prog: str) -> str:
    text = stderr.decode("utf-8", "replace")
    assert text.count("\n") == 1 and text.startswith(f"{prog}: error: "), text
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize("codec,codec_id", [("lm-ac-v1", 2), ("lm-ac-v2", 3), ("zstd-dict-v1", 1)])
def test_every_prompt_codec_round_trips_exactly(tmp_path, prompt_file, capsys, codec, codec_id):
    out = tmp_path / "lm.sem"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out), "--seed", "5", "--size", "640x480",
                        "--prompt-codec", codec]) == 0
    capsys.readouterr()
    size = out.stat().st_size
    assert info_json(capsys, out) == {
        "format_version": 2, "decoder": {"id": 1, "name": "sd-turbo"},
        "prompt_codec": {"id": codec_id, "name": codec}, "seed": 5, "width": 640, "height": 480,
        "prompt": PROMPT, "file_bytes": size, "bpp": 8 * size / (640 * 480),
    }


def test_bad_file_on_stdin_exit_3_one_line():
    r = _run("seminfo", "-", input=b"SEM\x01" + b"\x00" * 20)
    assert r.returncode == 3 and r.stdout == b""
    assert "-: CRC mismatch" in _one_line_error(r.stderr, "seminfo")


@pytest.mark.skipif(os.name != "posix", reason="closing fd 0 before exec is POSIX")
def test_closed_stdin_exit_3_one_line():
    r = subprocess.run([sys.executable, "-m", "semcodec.cli.seminfo", "-"], capture_output=False,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(0))
    assert r.returncode == 3
    assert _one_line_error(r.stderr, "seminfo").endswith("-: standard input is closed\n")


@needs_local
@pytest.mark.skipif(not sys.platform.startswith("linux") or not os.path.isdir("/proc/self"), reason="needs Linux /proc")
@pytest.mark.parametrize("target", ["/proc/x.sem", "/proc/self/x.sem"])
def test_write_failure_exit_1_one_line(prompt_file, target):
    r = _run("semenc", "--prompt", str(prompt_file), "-o", target)
    assert r.returncode == 1
    assert f"{target}: cannot write: " in _one_line_error(r.stderr, "semenc")
    assert not os.path.exists(target)


@needs_local
def test_write_failure_in_process_exit_1(tmp_path, prompt_file, capsys, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "x.sem"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == f"semenc: error: {out}: cannot write: No space left on device\n"
    assert not out.exists()


def test_deeply_nested_prompt_json_is_a_prompt_error(tmp_path, capsys):
    from semcodec.errors import PromptError
    from semcodec.prompt import Prompt

    with pytest.raises(PromptError, match="nested too deeply"):
        Prompt.from_json("[" * 60000)
    src = tmp_path / "d.json"
    src.write_text("[" * 60000)
    out = tmp_path / "o.sem"
    assert semenc.main(["--prompt", str(src), "-o", str(out)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "d.json" in err and "nested too deeply" in err
    assert not out.exists()


UNICODE_PROMPT = {"scene": "Straße in Köln bei Nacht 🌃", "objects": ["雨の歩道"], "lighting": "néon", "style": None}


@pytest.fixture
def unicode_sem(tmp_path):
    from semcodec.container import SemFile
    from semcodec.prompt import Prompt

    path = tmp_path / "u.sem"
    path.write_bytes(SemFile.create(Prompt.from_dict(UNICODE_PROMPT)).to_bytes())
    return path


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_seminfo_json_on_a_non_utf8_stdout(unicode_sem, encoding):
    r = _run("seminfo", "--json", str(unicode_sem), env={"PYTHONIOENCODING": encoding})
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(b"\n") == 1
    info = json.loads(r.stdout.decode("utf-8"))  # JSON is UTF-8, whatever the locale
    assert info["prompt"] == UNICODE_PROMPT
    assert "Straße in Köln bei Nacht 🌃".encode("utf-8") in r.stdout  # ensure_ascii=False kept


def test_seminfo_human_output_on_a_non_utf8_stdout(unicode_sem, tmp_path):
    r = _run("seminfo", str(unicode_sem), str(unicode_sem), env={"PYTHONIOENCODING": "latin-1"})
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode("utf-8")
    assert text.count("scene         Straße in Köln bei Nacht 🌃\n") == 2
    assert "雨の歩道" in text and text.startswith(f"{unicode_sem}: .sem v2")


def test_semdec_bad_input_creates_no_output_folder(tmp_path, capsys):
    bad = tmp_path / "bad.sem"
    bad.write_bytes(b"not a sem file")
    newdir = tmp_path / "newdir"
    assert semdec.main([str(bad), "-d", str(newdir)]) == 3
    assert "bad.sem" in capsys.readouterr().err
    assert not newdir.exists()


@pytest.mark.parametrize("value, expected", [
    ("512x512", (512, 512)), ("768X512", (768, 512)), ("1x8192", (1, 8192)),
    ("５１２x512", None), ("512x5_12", None), ("５１２x5_12", None), ("0512x512", None), ("0x5", None),
    (" 512x512", None), ("512x512 ", None), ("+512x512", None), ("512x512x1", None), ("512×512", None),
    ("8193x1", None), ("99999999999999x1", None), ("", None),
])
def test_parse_size_is_strict_ascii(value, expected):
    import click

    from semcodec.cli.common import parse_size

    if expected is None:
        with pytest.raises(click.BadParameter):
            parse_size(value)
    else:
        assert parse_size(value) == expected


def test_semdec_output_folder_that_cannot_be_made_exit_1(tmp_path, unicode_sem, capsys):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    assert semdec.main([str(unicode_sem), "-d", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot create the output folder" in err and "Traceback" not in err


def test_semdec_refuses_outputs_that_would_collide(tmp_path, prompt_file, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in ("a", "b"):
        assert semenc.main(["--prompt", str(prompt_file), "-o", str(tmp_path / d / "x.sem")]) == 0
    rc = semdec.main([str(tmp_path / "a" / "x.sem"), str(tmp_path / "b" / "x.sem"), "-d", str(tmp_path / "out")])
    assert rc == 2 and "collide" in capsys.readouterr().err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv", [["--bogus"], ["x.png", "-o", "x.sem", "--describer", "nonsense"], ["--prompt"]])
def test_usage_errors_are_one_line(argv, capsys):
    assert semenc.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("semenc: error: ") and "(see 'semenc --help')" in err


def test_unregistered_describer_or_critic_is_a_usage_error(tmp_path, capsys):
    from semcodec.cli import semenc as _semenc

    img = tmp_path / "a.png"
    from PIL import Image as _Image

    _Image.new("RGB", (16, 16)).save(img)
    for flag, name in (("--describer", "nonsense"), ("--critic", "nonsense2")):
        assert _semenc.main([str(img), "-o", str(tmp_path / "a.sem"), flag, name, "--dry-run"]) == 2
        assert f"Invalid value for '{flag}'" in capsys.readouterr().err
    assert not (tmp_path / "a.sem").exists()


def test_format_version_2_and_packets_round_trip(tmp_path, prompt_file, capsys):
    from semcodec.container import decode, decode_packet

    v1, v2, pk = tmp_path / "a.sem", tmp_path / "b.sem", tmp_path / "c.semp"
    common = ["--prompt", str(prompt_file), "--seed", "3", "--size", "768x512"]
    assert semenc.main([*common, "-o", str(v1), "--format-version", "1"]) == 0
    assert ": .sem v1, " in capsys.readouterr().err
    assert semenc.main([*common, "-o", str(v2), "--format-version", "2"]) == 0
    assert "v2, " in capsys.readouterr().err
    assert semenc.main([*common, "-o", str(tmp_path / "default.sem")]) == 0
    assert (tmp_path / "default.sem").read_bytes() == v2.read_bytes()  # v2 is the default
    assert semenc.main([*common, "-o", str(pk), "--packet"]) == 0
    assert "v2 packet, " in capsys.readouterr().err
    a, b, c = v1.read_bytes(), v2.read_bytes(), pk.read_bytes()
    assert a[:4] == b"SEM\x01" and b[0] == 0xF5 and c == b[1:-2]
    assert len(a) - len(b) == 10 and decode(a).prompt == decode(b).prompt == decode_packet(c).prompt
    info1, info2 = info_json(capsys, v1), info_json(capsys, v2)
    assert info2["format_version"] == 2 and {**info2, "format_version": 1, "file_bytes": 0, "bpp": 0} == {
        **info1, "file_bytes": 0, "bpp": 0}
    assert seminfo.main(["--json", "--packet", str(pk)]) == 0
    info3 = json.loads(capsys.readouterr().out)
    assert info3.pop("packet") is True and info3["file_bytes"] == len(c) and info3["prompt"] == PROMPT
    assert seminfo.main(["--packet", str(pk)]) == 0
    assert "v2 packet, " in capsys.readouterr().out
    assert seminfo.main([str(v2)]) == 0
    assert ".sem v2, " in capsys.readouterr().out


def test_packet_usage_and_invalid_packets(tmp_path, prompt_file, capsys):
    out = tmp_path / "x.semp"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out), "--packet", "--format-version", "1"]) == 2
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out), "--format-version", "3"]) == 2
    assert semenc.main(["img.png", "-o", str(out), "--packet", "--format-version", "1"]) == 2
    assert "cannot be --format-version 1" in capsys.readouterr().err
    assert not out.exists()
    bad = tmp_path / "bad.semp"
    bad.write_bytes(b"\x13\xbf\x00\x01")
    for module in (seminfo, semdec):
        capsys.readouterr()
        assert module.main(["--packet", str(bad)] + (["-o", str(tmp_path / "o.png")] if module is semdec else [])) == 3
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "unknown size class 63" in err
    assert not (tmp_path / "o.png").exists()
    # a packet is not a file and a file is not a packet: no guessing
    v2 = tmp_path / "v.sem"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(v2), "--format-version", "2"]) == 0
    capsys.readouterr()
    assert seminfo.main(["--packet", str(v2)]) == 3
    capsys.readouterr()
    pk = tmp_path / "p.semp"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(pk), "--packet"]) == 0
    assert seminfo.main([str(pk)]) == 3
    assert "bad magic" in capsys.readouterr().err


def test_seminfo_packet_on_stdin():
    pk = subprocess.run([sys.executable, "-m", "semcodec.cli.semenc", "--prompt", "-", "-o", "-", "--packet"],
                        input=json.dumps(PROMPT).encode(), capture_output=True, check=True).stdout
    r = _run("seminfo", "--packet", "--json", "-", input=pk)
    assert r.returncode == 0 and json.loads(r.stdout)["packet"] is True
    r = _run("seminfo", "--packet", "-", input=pk + b"\x00")
    assert r.returncode == 3
    _one_line_error(r.stderr, "seminfo")


def test_image_encodes_write_the_form_asked_for_and_budget_it(tmp_path, capsys):
    """--format-version and --packet apply to images: the file is that form and the budget counts its bytes."""
    pytest.importorskip("open_clip", reason="the tiny CLIPs need the 'local' extra")
    from semcodec.container import decode, decode_packet
    from semcodec.world.dataset import write_dataset

    write_dataset(tmp_path / "w", 1, seed=4242)
    img = tmp_path / "w" / "scene-000.png"
    common = [str(img), "--decoder", "world-v1", "--critic", "world-clip", "--describer", "interrogator",
              "--describer-model", "world-clip", "-n", "1", "-m", "2", "-k", "1", "--device", "cpu", "--budget", "30"]
    v1, v2 = tmp_path / "a.sem", tmp_path / "b.sem"
    assert semenc.main([*common, "-o", str(v1), "--format-version", "1", "--trace", str(tmp_path / "t1.json")]) == 0
    assert ": .sem v1, " in capsys.readouterr().err
    assert semenc.main([*common, "-o", str(v2), "--format-version", "2", "--trace", str(tmp_path / "t2.json")]) == 0
    assert ": .sem v2, " in capsys.readouterr().err
    assert semenc.main([*common, "-d", str(tmp_path / "out"), "--packet"]) == 0
    assert ": v2 packet, " in capsys.readouterr().err
    a, b = v1.read_bytes(), v2.read_bytes()
    c = (tmp_path / "out" / "scene-000.semp").read_bytes()  # -d with --packet writes .semp
    assert a[:4] == b"SEM\x01" and b[0] == 0xF5 and max(len(a), len(b), len(c)) <= 30
    sems = [decode(a), decode(b), decode_packet(c)]
    assert [s.version for s in sems] == [1, 2, 2]
    for t, form, data in (("t1", "v1", a), ("t2", "v2", b)):
        image = json.loads((tmp_path / f"{t}.json").read_text())["images"][0]
        assert image["config"]["container"] == image["result"]["container"] == form
        assert image["result"]["file_bytes"] == len(data)
    # the v2 budget leaves the describer more text than the v1 budget
    hints = [json.loads((tmp_path / f"{t}.json").read_text())["images"][0]["text_budget_hint"] for t in ("t1", "t2")]
    assert hints[0] < hints[1]
    # --text without -o: the packet as one line on stdout, no file written
    assert semenc.main([*common, "--packet", "--text"]) == 0
    std = capsys.readouterr()
    from semcodec.container import from_text

    assert from_text(std.out.strip(), packet=True) == c and "text on stdout" in std.err


def test_format_version_1_writes_the_v1_vectors_bytes(tmp_path, capsys):
    """v2 is the default; --format-version 1 writes exactly the v1 file semcodec wrote before (spec vector)."""
    from pathlib import Path

    typical = {"scene": "a cluttered home office with a wooden desk by a window",
               "objects": ["a silver laptop", "a ceramic mug of coffee", "two stacked notebooks"],
               "lighting": "soft natural daylight from the left", "style": "photo, 35mm"}
    src = tmp_path / "t.json"
    src.write_text(json.dumps(typical))
    vector = (Path(__file__).parent.parent / "spec" / "vectors" / "valid" / "lm-ac-v2.sem").read_bytes()
    common = ["--prompt", str(src), "--seed", "3", "--size", "768x512", "--prompt-codec", "lm-ac-v2"]
    assert semenc.main([*common, "-o", str(tmp_path / "a.sem"), "--format-version", "1"]) == 0
    assert (tmp_path / "a.sem").read_bytes() == vector
    assert semenc.main([*common, "-o", str(tmp_path / "b.sem")]) == 0
    b = (tmp_path / "b.sem").read_bytes()
    assert b[0] == 0xF5 and len(vector) - len(b) == 10


def test_text_form_round_trips_through_semenc_seminfo_and_semdec(tmp_path, prompt_file, capfd):
    """--text: the file (packet) as one line of base64url on stdout, messages on stderr; read back by --text."""
    from semcodec.container import decode, decode_packet, from_text

    out = tmp_path / "a.sem"
    assert semenc.main(["--prompt", str(prompt_file), "-o", str(out), "--text"]) == 0
    std = capfd.readouterr()
    assert std.out.count("\n") == 1 and "text" not in std.err.split(":")[0]
    line = std.out.strip()
    assert from_text(line) == out.read_bytes() and decode(out.read_bytes()).prompt.to_dict() == PROMPT
    assert semenc.main(["--prompt", str(prompt_file), "--text", "--packet", "-q"]) == 0  # no -o: nothing written
    std = capfd.readouterr()
    packet_line = std.out.strip()
    assert std.err == "" and decode_packet(from_text(packet_line, packet=True)).prompt.to_dict() == PROMPT
    assert seminfo.main(["--json", "--text", line]) == 0
    assert json.loads(capfd.readouterr().out)["prompt"] == PROMPT
    assert seminfo.main(["--json", "--packet", "--text", packet_line]) == 0
    info = json.loads(capfd.readouterr().out)
    assert info["packet"] is True and info["file_bytes"] == len(from_text(packet_line))
    assert seminfo.main(["--text", line]) == 0
    assert capfd.readouterr().out.startswith("text: .sem v2, ")


@pytest.mark.parametrize("argv, code, fragment", [
    (["seminfo", "--text", "9ROBAAI50DkYmw=="], 3, "padding '=' is not written"),
    (["seminfo", "--text", "9ROB AAI50DkYmw"], 3, "whitespace is not allowed"),
    (["seminfo", "--text", "A" * 6000], 3, "at most 5462"),
    (["seminfo", "--packet", "--text", "9ROBAAI50DkYmw"], 3, ""),  # a file's text is not a packet's
    (["seminfo", "--text", "9ROBAAI50DkYmw", "x.sem"], 2, "not both"),
    (["seminfo"], 2, "missing FILE.sem"),
    (["semdec", "--text", "9ROBAAI50DkYmw"], 2, "--text needs -o"),
    (["semdec", "--text", "9ROBAAI50DkYm+", "-o", "OUT"], 3, "not in the alphabet"),
    (["semenc", "--prompt", "P", "--text", "-o", "-"], 2, "--text prints to stdout"),
    (["semenc", "a.png", "b.png", "--text"], 2, "--text is for one input"),
])
def test_bad_text_and_text_usage_are_one_line_with_their_exit_code(tmp_path, prompt_file, capsys, argv, code, fragment):
    module = {"seminfo": seminfo, "semdec": semdec, "semenc": semenc}[argv[0]]
    args = [str(prompt_file) if a == "P" else str(tmp_path / "o.png") if a == "OUT" else a for a in argv[1:]]
    assert module.main(args) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err
    assert not (tmp_path / "o.png").exists()


def test_text_form_on_stdin():
    r = subprocess.run([sys.executable, "-m", "semcodec.cli.semenc", "--prompt", "-", "--text", "--packet"],
                       input=json.dumps(PROMPT).encode(), capture_output=True, check=True)
    assert r.stdout.endswith(b"\n") and r.stdout.count(b"\n") == 1
    r2 = _run("seminfo", "--packet", "--json", "--text", "-", input=r.stdout)  # the line's terminator is not the text
    assert r2.returncode == 0 and json.loads(r2.stdout)["prompt"] == PROMPT
    r3 = _run("seminfo", "--packet", "--text", "-", input=r.stdout.strip() + b"\n\n")
    assert r3.returncode == 3
    _one_line_error(r3.stderr, "seminfo")
