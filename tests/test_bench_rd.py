"""sembench rd end to end on tiny copies of the fixtures: schema, rate, plots, cache, missing weights."""

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import semcodec.backends
from semcodec.bench import codecs as C
from semcodec.bench import rd
from semcodec.bench import loading
from semcodec.cli import bench_rd
from semcodec.bench.dataset import load_dataset
from semcodec.container import decode
from semcodec.errors import MissingError

from fakes import FakeCritic, FakeDescriber, FakeGenerator, HistCritic
from extras import needs_bench

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASE = ["param", "bpp", "clipsim", "clipsim_judge", "psnr", "ssim"]


@pytest.fixture(scope="module")
def small_ds(tmp_path_factory):
    """Three fixtures shrunk to at most 64 px (different sizes, so total bpp != mean bpp)."""
    d = tmp_path_factory.mktemp("ds")
    for name in ("astronaut.png", "chelsea.png", "rocket.png"):
        with Image.open(FIXTURES / name) as im:
            im = im.convert("RGB")
            im.thumbnail((64, 64), Image.Resampling.LANCZOS)
            im.save(d / name)
    return d


def no_weights(monkeypatch):
    def fail(name, *, device, model_dir):
        raise MissingError(f"the weights of {name} are not in the model folder")

    monkeypatch.setattr(loading, "load_scoring_model", fail)


def with_critic(monkeypatch, factory=HistCritic):
    monkeypatch.setattr(loading, "load_scoring_model", lambda name, *, device, model_dir: factory(name))


def count_runs(monkeypatch, cls, fail_at=None):
    calls = {"n": 0, "fail_at": fail_at}
    orig = cls.run

    def run(self, image, param):
        calls["n"] += 1
        if calls["n"] == calls["fail_at"]:
            raise KeyboardInterrupt
        return orig(self, image, param)

    monkeypatch.setattr(cls, "run", run)
    return calls


def load(out, name):
    return json.loads((out / f"{name}.json").read_text())


def check_png(path):
    with Image.open(path) as im:
        assert im.format == "PNG"
        im.load()
        assert im.width > 100 and im.height > 100


@needs_bench
def test_without_weights_pixel_run_succeeds_with_null_clip_columns(small_ds, tmp_path, monkeypatch, capsys):
    no_weights(monkeypatch)
    out = tmp_path / "out"
    rc = bench_rd.main([str(small_ds), "--codecs", "jpeg,lowres-png", "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    err = captured.err
    assert "oracle_f1" not in captured.out and len(captured.out.splitlines()) == 1 + 6 + 3  # no true prompts
    assert rc == 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "ViT-B-32" in lines[0] and "semmodels download ViT-B-32" in lines[0] and "--model-dir" in lines[0]

    images = load_dataset(small_ds)
    pixels = [i.image.width * i.image.height for i in images]
    for name, cls in (("jpeg", C.JPEG), ("lowres-png", C.LowResPNG)):
        doc = load(out, name)
        assert set(doc) == {"name", "description", "results"} and doc["name"] == name
        assert "Pillow" in doc["description"] and "ViT-B-32" in doc["description"]
        res = doc["results"]
        assert set(res) == set(BASE)
        assert res["param"] == cls().points()
        assert all(len(res[k]) == len(res["param"]) for k in BASE)
        assert res["clipsim"] == [None] * len(res["param"]) == res["clipsim_judge"]
        assert all(isinstance(v, float) and v > 10 for v in res["psnr"])
        assert all(0 < v <= 1 for v in res["ssim"])
        # rate, computed independently: encode with Pillow directly, total bits over total pixels
        for p, got in zip(res["param"], res["bpp"]):
            sizes = []
            for img in images:
                src = img.image
                buf = io.BytesIO()
                if name == "jpeg":
                    src.save(buf, format="JPEG", quality=p)
                else:
                    w, h = src.size
                    s = min(w, h)
                    size = (p, round(h * p / w)) if w <= h else (round(w * p / h), p)
                    src.resize(size if s > p else src.size, Image.Resampling.LANCZOS).save(buf, format="PNG", optimize=True)
                sizes.append(len(buf.getvalue()))
            assert got == pytest.approx(8 * sum(sizes) / sum(pixels), rel=1e-12)
            mean_of_ratios = np.mean([8 * b / px for b, px in zip(sizes, pixels)])
            assert not math.isclose(got, mean_of_ratios, rel_tol=1e-9)

    rows = list(csv.DictReader((out / "per_image.csv").open()))
    assert len(rows) == 3 * (6 + 3)
    for r in rows:
        assert float(r["bpp"]) == pytest.approx(8 * int(r["bytes"]) / (int(r["width"]) * int(r["height"])))
        assert r["clipsim"] == "" and float(r["psnr"]) > 0
    check_png(out / "rd.png")
    assert not (out / "iterations.png").exists()
    summary = (out / "summary.md").read_text()
    assert "## jpeg" in summary and "## lowres-png" in summary and "rd.png shows PSNR" in summary
    assert "sembench rd" in summary and "--codecs jpeg,lowres-png" in summary and "Pillow" in summary


@needs_bench
def test_clip_columns_filled_when_a_critic_loads(small_ds, tmp_path, monkeypatch, capsys):
    with_critic(monkeypatch)
    out = tmp_path / "out"
    assert bench_rd.main([str(small_ds), "--codecs", "lowres-webp", "--out", str(out), "-q"]) == 0
    assert capsys.readouterr().err == ""
    res = load(out, "lowres-webp")["results"]
    assert all(0 < v <= 1 for v in res["clipsim"] + res["clipsim_judge"])
    # one value checked by hand: mean over images of the cosine of the critic's embeddings
    images = load_dataset(small_ds)
    crit = HistCritic()
    sims = []
    for img in images:
        out_ = C.LowResWebP().run(img.image, 8)
        a, b = crit.embed_images([img.image, out_.reconstruction]).astype(np.float64)
        sims.append(float(a @ b))
    assert res["clipsim"][0] == pytest.approx(np.mean(sims), abs=1e-6)
    assert "rd.png shows PSNR" not in (out / "summary.md").read_text()
    check_png(out / "rd.png")


@needs_bench
def test_resume_skips_finished_work(small_ds, tmp_path, monkeypatch):
    no_weights(monkeypatch)
    out = tmp_path / "out"
    args = [str(small_ds), "--codecs", "jpeg", "--out", str(out), "-q"]
    calls = count_runs(monkeypatch, C.JPEG, fail_at=5)
    assert bench_rd.main(args) == 1  # interrupted on the 5th run (click's Abort)
    assert calls["n"] == 5
    calls.update(n=0, fail_at=None)
    assert bench_rd.main(args) == 0
    assert calls["n"] == 18 - 4  # the 4 finished runs came from the cache
    first = (out / "jpeg.json").read_bytes()
    calls["n"] = 0
    assert bench_rd.main(args) == 0
    assert calls["n"] == 0
    assert (out / "jpeg.json").read_bytes() == first
    # a different critic changes the settings hash: everything is measured again
    with_critic(monkeypatch)
    assert bench_rd.main(args) == 0
    assert calls["n"] == 18


@needs_bench
def test_a_failed_run_nulls_its_point_and_is_retried(small_ds, tmp_path, monkeypatch, capsys):
    from semcodec.errors import BackendError

    no_weights(monkeypatch)
    orig = C.LowResWebP.run
    state = {"fail": True, "n": 0}

    def run(self, image, param):
        state["n"] += 1
        if state["fail"] and param == 16 and image.width == 64 and image.height == 64:  # astronaut only
            raise BackendError("simulated encoder failure")
        return orig(self, image, param)

    monkeypatch.setattr(C.LowResWebP, "run", run)
    out = tmp_path / "out"
    args = [str(small_ds), "--codecs", "lowres-webp", "--out", str(out), "-q"]
    assert bench_rd.main(args) == 1
    assert "simulated encoder failure" in capsys.readouterr().err
    res = load(out, "lowres-webp")["results"]
    assert res["bpp"][1] is None and res["psnr"][1] is None
    assert res["bpp"][0] is not None and res["bpp"][2] is not None
    assert "simulated encoder failure" in (out / "summary.md").read_text()
    state.update(fail=False, n=0)
    assert bench_rd.main(args) == 0
    assert state["n"] == 1  # only the failed run is made again
    assert load(out, "lowres-webp")["results"]["bpp"][1] is not None


def _sem_models(monkeypatch, decoder="sd-turbo"):
    with_critic(monkeypatch, lambda name: FakeCritic())
    monkeypatch.setattr(semcodec.backends, "load_generator", lambda spec, **kw: FakeGenerator(spec.name))
    monkeypatch.setattr(semcodec.backends, "load_describer", lambda name, **kw: FakeDescriber(words_per_object=1))


@needs_bench
def test_sem_codec_through_the_command(small_ds, tmp_path, monkeypatch):
    _sem_models(monkeypatch)
    out = tmp_path / "out"
    calls = count_runs(monkeypatch, C.SemCodec)
    args = [str(small_ds), "--codecs", "sem,lowres-png", "--budgets", "100,160", "-n", "2", "-m", "2", "-k", "2",
            "--out", str(out), "-q"]
    assert bench_rd.main(args) == 0
    assert calls["n"] == 2 * 3
    doc = load(out, "sem")
    res = doc["results"]
    assert set(res) == set(BASE) | {"clipsim_encoder"}
    assert res["param"] == [100, 160]
    assert all(v is not None for v in res["clipsim"] + res["clipsim_encoder"])
    files = sorted((out / "sem").glob("*.sem"))
    assert len(files) == 6
    pixels = sum(i.pixels for i in load_dataset(small_ds))
    for budget, got in zip(res["param"], res["bpp"]):
        mine = [f for f in files if f.stem.endswith(f"-{budget}")]
        sizes = [len(f.read_bytes()) for f in mine]
        assert all(s <= budget for s in sizes)
        assert got == pytest.approx(8 * sum(sizes) / pixels)
        for f in mine:
            decode(f.read_bytes())
    check_png(out / "iterations.png")
    check_png(out / "rd.png")
    assert bench_rd.main(args) == 0 and calls["n"] == 6  # all from the cache


@needs_bench
def test_sem_non_deterministic_reports_spread(small_ds, tmp_path, monkeypatch):
    _sem_models(monkeypatch)
    out = tmp_path / "out"
    args = [str(small_ds), "--codecs", "sem", "--decoder", "gpt-image-2", "--budgets", "160", "-n", "1", "-m", "2",
            "-k", "1", "--decodes", "3", "--limit", "2", "--out", str(out), "-q"]
    assert bench_rd.main(args) == 0
    res = load(out, "sem")["results"]
    assert set(res) == set(BASE) | {"clipsim_encoder", "clipsim_std"}
    assert res["clipsim_std"][0] is not None and res["clipsim_std"][0] > 0
    rows = list(csv.DictReader((out / "per_image.csv").open()))
    assert [r["decodes"] for r in rows] == ["3", "3"]


@needs_bench
def test_sem_skipped_without_models(small_ds, tmp_path, monkeypatch, capsys):
    no_weights(monkeypatch)
    out = tmp_path / "out"
    assert bench_rd.main([str(small_ds), "--codecs", "sem,lowres-webp", "--out", str(out), "-q"]) == 0
    err = capsys.readouterr().err
    assert sum("sem skipped" in line for line in err.splitlines()) == 1
    assert not (out / "sem.json").exists() and (out / "lowres-webp.json").exists()
    assert bench_rd.main([str(small_ds), "--codecs", "sem", "--out", str(tmp_path / "o2"), "-q"]) == 4


def test_usage_errors(small_ds, tmp_path, monkeypatch):
    no_weights(monkeypatch)
    assert bench_rd.main([str(small_ds), "--codecs", "jpeg,gif", "--out", str(tmp_path / "o")]) == 2
    assert bench_rd.main([str(tmp_path / "nothing-here"), "--codecs", "jpeg", "--out", str(tmp_path / "o")]) == 3


@needs_bench
def test_bad_encoder_settings_are_a_one_line_usage_error(small_ds, tmp_path, capsys):
    # refused before any model is loaded (the weights are not even looked for)
    assert bench_rd.main([str(small_ds), "--codecs", "sem", "-m", "40", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "m must be an integer in 1..32" in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
    assert bench_rd.main([str(small_ds), "--codecs", "jpeg", "-m", "40", "--out", str(tmp_path / "p"), "-q"]) == 0


def test_with_tiny_models_through_the_real_loaders(small_ds, tmp_path, tiny_model_dir, monkeypatch):
    """Real open_clip critic/judge and diffusers sd-turbo (tiny, random); only the describer is a fake."""
    monkeypatch.setattr(semcodec.backends, "load_describer", lambda name, **kw: FakeDescriber(words_per_object=1))
    out = tmp_path / "out"
    rc = bench_rd.main([str(small_ds), "--codecs", "sem,lowres-webp", "--model-dir", str(tiny_model_dir), "--device", "cpu",
                  "--budgets", "200", "-n", "1", "-m", "2", "-k", "1", "--limit", "2", "--out", str(out), "-q"])
    assert rc == 0
    for name in ("lowres-webp", "sem"):
        res = load(out, name)["results"]
        assert all(v is not None and -1.0 <= v <= 1.0 for v in res["clipsim"] + res["clipsim_judge"])
    sem = load(out, "sem")
    assert "sd-turbo" in sem["description"] and "ViT-L-14" in sem["description"]
    # a seeded decoder: the receiver's fresh decode is exactly the encoder's chosen picture
    assert sem["results"]["clipsim"] == pytest.approx(sem["results"]["clipsim_encoder"], abs=1e-5)
    files = sorted((out / "sem").glob("*.sem"))
    assert len(files) == 2 and all(decode(f.read_bytes()).decoder.name == "sd-turbo" for f in files)
    check_png(out / "iterations.png")


def test_world_dataset_gets_the_oracle_column_for_sem_rows_only(tmp_path, capsys):
    pytest.importorskip("open_clip", reason="the tiny CLIPs need the 'local' extra")
    from semcodec.world.dataset import write_dataset

    ds = tmp_path / "world"
    write_dataset(ds, 2, seed=777)
    out = tmp_path / "out"
    args = [str(ds), "--codecs", "sem,lowres-png", "--decoder", "world-v1", "--critic", "world-clip",
            "--judge", "world-judge", "--describer", "interrogator", "--describer-model", "world-clip",
            "--budgets", "64", "-n", "1", "-m", "2", "-k", "2", "--device", "cpu", "--out", str(out), "-q"]
    assert bench_rd.main(args) == 0
    sem = load(out, "sem")["results"]
    assert 0.0 <= sem["oracle_f1"][0] <= 1.0
    assert set(rd.ORACLE_TYPES) <= {k[len("oracle_"):] for k in sem if k.startswith("oracle_")}
    assert "oracle_f1" not in load(out, "lowres-png")["results"]
    rows = list(csv.DictReader(io.StringIO((out / "per_image.csv").read_text())))
    from semcodec.world.oracle import score_text

    truths = rd.load_truths(ds)
    recs = [json.loads(p.read_text()) for p in (out / "cache" / "sem").rglob("*.json")]
    for r in rows:
        assert (r["oracle_f1"] != "") == (r["codec"] == "sem")
    for rec in recs:  # the column is the oracle of the coded prompt against the true one
        mine = [r for r in rows if r["codec"] == "sem" and r["image"] == rec["image"]]
        assert float(mine[0]["oracle_f1"]) == pytest.approx(score_text(truths[rec["image"]], rec["info"]["prompt"]).f1)
    assert "oracle F1" in (out / "summary.md").read_text()
    table = capsys.readouterr().out.splitlines()  # the data on stdout: a line per point, the oracle column
    assert table[0].split() == ["codec", "param", "bpp", "mean_bytes", "clipsim", "clipsim_judge", "oracle_f1"]
    assert [line.split()[:2] for line in table[1:]] == [["sem", "64"], ["lowres-png", "8"], ["lowres-png", "16"],
                                                        ["lowres-png", "32"]]
    assert float(table[1].split()[-1]) == pytest.approx(sem["oracle_f1"][0], abs=6e-4)
    assert all(line.split()[-1] == "-" for line in table[2:])


def test_bad_prompts_jsonl_is_bad_input(tmp_path):
    (tmp_path / "prompts.jsonl").write_text("not json\n")
    from semcodec.errors import InputError

    with pytest.raises(InputError, match="line 1"):
        rd.load_truths(tmp_path)
    assert rd.load_truths(tmp_path / "nowhere") == {}
