"""semenc IMAGE... -d OUT --executor ray: the same files as a local run, one trace, clear errors."""

from __future__ import annotations

import json
import sys

import pytest

from semcodec.cli import semenc
from extras import needs_local

WORLD = ["--decoder", "world-v1", "--critic", "world-clip", "--describer", "interrogator", "--budget", "48",
         "-n", "2", "-m", "2", "-k", "2", "--device", "cpu", "-q"]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    from semcodec.world.dataset import main as make

    root = tmp_path_factory.mktemp("scenes")
    assert make([str(root), "--n", "3", "--seed", "778"]) == 0
    return sorted(str(p) for p in root.glob("*.png"))


def test_without_ray_the_executor_is_a_missing_extra(scenes, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ModuleNotFoundError
    assert semenc.main([*scenes, "-d", str(tmp_path / "o"), *WORLD, "--executor", "ray"]) == 4
    err = capsys.readouterr().err
    assert "pip install 'semcodec[ray]'" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("extra, what", [
    (["--workers", "2"], "--address and --workers are for --executor ray"),
    (["--executor", "ray", "--html", "x.html"], "--preview, --html and --text are for one image"),
])
def test_ray_options_out_of_place_are_usage_errors(scenes, tmp_path, capsys, extra, what):
    assert semenc.main([scenes[0], "-o", str(tmp_path / "a.sem"), *WORLD, *extra]) == 2
    err = capsys.readouterr().err
    assert what in err and err.count("\n") == 1
    assert not (tmp_path / "a.sem").exists()


@needs_local
def test_ray_writes_the_files_a_local_run_writes(scenes, tmp_path):
    pytest.importorskip("ray")
    local, remote = tmp_path / "local", tmp_path / "ray"
    assert semenc.main([*scenes, "-d", str(local), *WORLD, "--trace", str(tmp_path / "l.json")]) == 0
    assert semenc.main([*scenes, "-d", str(remote), *WORLD, "--executor", "ray", "--workers", "2",
                        "--trace", str(tmp_path / "r.json")]) == 0
    names = sorted(p.name for p in local.iterdir())
    assert len(names) == 3 and names == sorted(p.name for p in remote.iterdir())
    for n in names:
        assert (local / n).read_bytes() == (remote / n).read_bytes()
    a = json.loads((tmp_path / "l.json").read_text())
    b = json.loads((tmp_path / "r.json").read_text())
    assert [i["input"] for i in a["images"]] == [i["input"] for i in b["images"]] == scenes
    assert [i["result"] for i in a["images"]] == [i["result"] for i in b["images"]]
    def path(doc):  # what each round proposed and chose (scores differ in the last float bits: 1 thread vs 2)
        return [[([p["text"] for p in it["prompts"]], it["chosen"], it["best_seed"]) for it in i["iterations"]]
                for i in doc["images"]]

    assert path(a) == path(b)
