"""sembench rd on Ray: the same rows as the local executor, retries, and a clear error without Ray."""

from __future__ import annotations

import csv
import os
import sys

import pytest

from semcodec.cli import bench_rd
from extras import needs_local

WORLD = ["--decoder", "world-v1", "--critic", "world-clip", "--judge", "world-judge", "--describer", "interrogator",
         "--describer-model", "world-clip", "--budgets", "32", "-n", "2", "-m", "2", "-k", "2", "--device", "cpu", "-q"]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    from semcodec.world.dataset import main as make

    root = tmp_path_factory.mktemp("scenes")
    assert make([str(root), "--n", "3", "--seed", "777"]) == 0
    return root


def _rows(out):
    with open(out / "per_image.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_without_ray_the_executor_is_a_missing_extra(scenes, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ModuleNotFoundError
    assert bench_rd.main([str(scenes), "--codecs", "jpeg", "--executor", "ray", "--out", str(tmp_path / "o")]) == 4
    err = capsys.readouterr().err
    assert "pip install 'semcodec[ray]'" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@needs_local
def test_ray_gives_the_local_rows(scenes, tmp_path):
    pytest.importorskip("ray")
    local, remote = tmp_path / "local", tmp_path / "ray"
    assert bench_rd.main([str(scenes), "--codecs", "jpeg,sem", *WORLD, "--out", str(local)]) == 0
    assert bench_rd.main([str(scenes), "--codecs", "jpeg,sem", *WORLD, "--executor", "ray", "--workers", "2",
                          "--out", str(remote)]) == 0
    a, b = _rows(local), _rows(remote)
    assert len(a) == len(b) == 3 * (6 + 1)
    for x, y in zip(a, b):
        for col in ("codec", "param", "image", "bytes", "bpp", "sha256", "clipsim", "clipsim_encoder", "oracle_f1",
                    "psnr", "error"):
            assert x[col] == y[col], col
        # the judge's float sums depend on torch's thread count (a worker has one CPU): equal to ~1e-7
        assert (x["clipsim_judge"] == y["clipsim_judge"] == "") or abs(float(x["clipsim_judge"]) - float(y["clipsim_judge"])) < 1e-6
    assert sorted(p.name for p in (local / "sem").iterdir()) == sorted(p.name for p in (remote / "sem").iterdir())
    for p in (local / "sem").iterdir():
        assert p.read_bytes() == (remote / "sem" / p.name).read_bytes()
    # the cache is shared in meaning: a local run over the ray run's output measures nothing again
    assert bench_rd.main([str(scenes), "--codecs", "jpeg,sem", *WORLD, "--out", str(remote)]) == 0


@needs_local
def test_a_worker_that_dies_loses_only_its_image_which_is_retried(scenes, tmp_path):
    ray = pytest.importorskip("ray")
    from semcodec.bench.dataset import load_dataset
    from semcodec.bench.executor import RayExecutor, _Worker
    from semcodec.bench.loading import RunSetup, build_run
    from semcodec.bench.rd import run_rd

    marker = tmp_path / "died-once"

    class DiesOnce(_Worker):
        def measure(self, job):
            if job.name == "scene-001.png" and not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(1)  # the worker process dies mid-image
            return super().measure(job)

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    setup = RunSetup(codec_names=("jpeg",), critic="world-clip", judge="world-judge", device="cpu")
    built = build_run(setup)
    ex = RayExecutor(setup, workers=2, worker_cls=DiesOnce)
    try:
        report = run_rd(load_dataset(scenes), built.codecs, tmp_path / "out", scorer=built.scorer, executor=ex)
    finally:
        ex.close()
    assert marker.exists() and ex.retried == ["scene-001.png"]
    assert report.failures == [] and all("error" not in r for r in report.rows)


@needs_local
def test_a_worker_whose_models_differ_from_the_drivers_fails_its_points(scenes, tmp_path):
    from semcodec.bench.dataset import load_dataset
    from semcodec.bench.executor import LocalExecutor
    from semcodec.bench.loading import RunSetup, build_run
    from semcodec.bench.rd import run_rd

    setup = RunSetup(codec_names=("jpeg",), critic="world-clip", judge="world-judge", device="cpu")
    driver = build_run(setup)
    worker = build_run(setup)
    worker.scorer.critic_id = "world-clip@another-revision|package"  # as a worker with other weights would
    ex = LocalExecutor(worker.codecs, worker.scorer)
    report = run_rd(load_dataset(scenes), driver.codecs, tmp_path / "out", scorer=driver.scorer, executor=ex)
    assert len(report.failures) == 3 * 6
    assert all("cache key mismatch" in f for f in report.failures)
    assert not any((tmp_path / "out" / "cache").rglob("*.json"))  # nothing cached under the driver's key
