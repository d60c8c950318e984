"""Where the rd benchmark's work runs: in this process, or spread over Ray workers.

The unit of work is one image: every (codec, parameter) point of it that the
cache does not already hold.  :func:`semcodec.bench.rd.run_rd` plans the
work, hands it to an executor and writes every result itself (cache, result
files), so results, caches and resume are the same whichever executor ran.

``RayExecutor`` (``sembench rd --executor ray``, the ``[ray]`` extra) starts
one actor per worker; each builds the run's models once from a
:class:`~semcodec.bench.loading.RunSetup` and measures the images it is given.
A worker that dies loses only the image it held: that image is retried once
on a fresh worker, and if it fails again its points are recorded as failed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import SemError


@dataclass(frozen=True)
class Point:
    """One (codec, parameter) measurement of an image, with its cache key."""

    codec: str
    param: Any
    key: str


@dataclass(frozen=True)
class ImageJob:
    name: str
    path: str
    points: tuple[Point, ...]


@dataclass
class ImageResult:
    name: str
    records: list[dict]  # one per point, in the job's order; a failed point is an error record
    failures: list[str] = field(default_factory=list)
    worker: str = "local"
    attempts: int = 1


# done(job, point, record, failure): called once per point as soon as it is known
# (failure is the one-line reason of a failed point, else None).
Done = Callable[[ImageJob, Point, dict, "str | None"], None]


def measure_points(job: ImageJob, codecs: dict, scorer: Any, image: Any = None):
    """Yield (point, record, failure) for every point of one image, in order; a SemError fails only its point.

    A point whose cache key this process's models would not give (a worker
    with other weights or another semcodec than the driver's) fails rather
    than being measured under the driver's key."""
    from .cache import settings_hash
    from .dataset import DatasetImage, load_image
    from .measure import error_record, measure as _measure

    img = DatasetImage(name=job.name, path=Path(job.path), image=image if image is not None else load_image(job.path))
    for pt in job.points:
        codec = codecs.get(pt.codec)
        if codec is None or settings_hash(codec, pt.param, img, scorer) != pt.key:
            why = ("this worker cannot run it" if codec is None else
                   "this worker's models or semcodec differ from the driver's (cache key mismatch)")
            yield pt, error_record(pt.codec, pt.param, img, why), f"{pt.codec} {pt.param} on {img.name}: {why}"
            continue
        try:
            yield pt, _measure(codec, pt.param, img, scorer, pt.key), None
        except SemError as exc:
            yield pt, error_record(codec.name, pt.param, img, str(exc)), f"{codec.name} {pt.param} on {img.name}: {exc}"


def measure_image(job: ImageJob, codecs: dict, scorer: Any, image: Any = None) -> ImageResult:
    records, failures = [], []
    for _, rec, failure in measure_points(job, codecs, scorer, image):
        records.append(rec)
        if failure:
            failures.append(failure)
    return ImageResult(name=job.name, records=records, failures=failures)


def _deliver(job: ImageJob, res: ImageResult, done: Done) -> None:
    fails = iter(res.failures)
    for pt, rec in zip(job.points, res.records):
        done(job, pt, rec, next(fails, "failed") if "error" in rec else None)


class LocalExecutor:
    """In this process, image after image, with the models the driver built."""

    name = "local"

    def __init__(self, codecs: Sequence, scorer: Any, images: dict | None = None) -> None:
        self.codecs = {c.name: c for c in codecs}
        self.scorer = scorer
        self.images = images or {}  # name -> already loaded PIL image

    def run(self, jobs: Sequence[ImageJob], done: Done) -> None:
        for job in jobs:  # each point is delivered (and cached) as soon as it is measured
            for pt, rec, failure in measure_points(job, self.codecs, self.scorer, self.images.get(job.name)):
                done(job, pt, rec, failure)

    def close(self) -> None:
        pass


class _Worker:
    """A Ray actor: the run's models, built once, and images measured on request."""

    def __init__(self, setup: Any) -> None:
        from ..raypool import limit_threads_to_assigned_cpus, worker_id
        from .loading import build_run

        limit_threads_to_assigned_cpus()
        built = build_run(setup)
        self.codecs = {c.name: c for c in built.codecs}
        self.scorer = built.scorer
        self.id = worker_id()

    def measure(self, job: ImageJob) -> ImageResult:
        res = measure_image(job, self.codecs, self.scorer)
        res.worker = self.id
        return res

    def pid(self) -> int:
        return os.getpid()


class RayExecutor:
    """Images spread over ``workers`` Ray actors (a local cluster, or ``address``'s): :class:`semcodec.raypool.RayPool`."""

    name = "ray"

    def __init__(self, setup: Any, *, workers: int = 2, address: str | None = None,
                 gpus_per_worker: float | None = None, worker_cls: type = None) -> None:
        """``worker_cls`` replaces :class:`_Worker` (same constructor and ``measure``): a subclass that
        counts or fails, for tests of the retry path."""
        from ..raypool import RayPool

        if gpus_per_worker is None:
            gpus_per_worker = 1.0 if str(setup.device or "").startswith("cuda") else 0.0
        self.pool = RayPool(worker_cls or _Worker, setup, workers=workers, address=address,
                            gpus_per_worker=gpus_per_worker)
        self.workers = workers

    @property
    def retried(self) -> list[str]:
        return self.pool.retried

    def run(self, jobs: Sequence[ImageJob], done: Done) -> None:
        def on_result(job, res, attempts):
            res.attempts = attempts
            _deliver(job, res, done)

        def on_failure(job, why, attempts):
            _deliver(job, _failed(job, why, attempts), done)

        self.pool.run(jobs, on_result, on_failure)

    def close(self) -> None:
        self.pool.close()


def _failed(job: ImageJob, why: str, attempts: int) -> ImageResult:
    recs = [{"codec": p.codec, "param": p.param, "image": job.name, "error": why} for p in job.points]
    return ImageResult(name=job.name, records=recs, failures=[f"{p.codec} {p.param} on {job.name}: {why}"
                                                              for p in job.points], worker="lost", attempts=attempts)
