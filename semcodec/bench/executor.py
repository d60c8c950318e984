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

from ..errors import MissingError, SemError

RAY_INSTALL = "pip install 'semcodec[ray]'"
MAX_ATTEMPTS = 2  # a worker that dies costs its image one retry


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
    """Yield (point, record, failure) for every point of one image, in order; a SemError fails only its point."""
    from .dataset import DatasetImage, load_image
    from .measure import error_record, measure as _measure

    img = DatasetImage(name=job.name, path=Path(job.path), image=image if image is not None else load_image(job.path))
    for pt in job.points:
        codec = codecs[pt.codec]
        try:
            yield pt, _measure(codec, pt.param, img, scorer, pt.key), None
        except SemError as exc:
            yield pt, error_record(codec, pt.param, img, str(exc)), f"{codec.name} {pt.param} on {img.name}: {exc}"


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


def _import_ray():
    try:
        import ray
    except ModuleNotFoundError:
        raise MissingError(f"--executor ray needs Ray: {RAY_INSTALL}") from None
    return ray


class _Worker:
    """A Ray actor: the run's models, built once, and images measured on request."""

    def __init__(self, setup: Any) -> None:
        from .loading import build_run

        try:  # one worker per CPU it was given: torch must not use every core of the machine
            import ray
            import torch

            cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1)
            torch.set_num_threads(max(1, int(cpus)))
        except ImportError:
            pass
        built = build_run(setup)
        self.codecs = {c.name: c for c in built.codecs}
        self.scorer = built.scorer
        self.id = f"{os.uname().nodename}:{os.getpid()}"

    def measure(self, job: ImageJob) -> ImageResult:
        res = measure_image(job, self.codecs, self.scorer)
        res.worker = self.id
        return res

    def pid(self) -> int:
        return os.getpid()


class RayExecutor:
    """Images spread over ``workers`` Ray actors (a local cluster, or ``address``'s)."""

    name = "ray"

    def __init__(self, setup: Any, *, workers: int = 2, address: str | None = None,
                 gpus_per_worker: float | None = None, worker_cls: type = None) -> None:
        """``worker_cls`` replaces :class:`_Worker` (same constructor and ``measure``): a subclass that
        counts or fails, for tests of the retry path."""
        ray = _import_ray()
        self.ray = ray
        self.setup = setup
        self.workers = workers
        self._started_here = not ray.is_initialized()
        if self._started_here:
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
            if address:
                kwargs["address"] = address
            else:
                kwargs["num_cpus"] = workers
            # workers import semcodec from the same place as this process
            root = str(Path(__file__).resolve().parents[2])
            kwargs["runtime_env"] = {"env_vars": {"PYTHONPATH": os.pathsep.join(
                p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}}
            ray.init(**kwargs)
        if gpus_per_worker is None:
            gpus_per_worker = 1.0 if str(setup.device or "").startswith("cuda") else 0.0
        self._actor_cls = ray.remote(num_cpus=1, num_gpus=gpus_per_worker, max_restarts=0)(worker_cls or _Worker)
        self.actors = [self._actor_cls.remote(setup) for _ in range(workers)]
        self.retried: list[str] = []

    def run(self, jobs: Sequence[ImageJob], done: Done) -> None:
        ray = self.ray
        queue = list(jobs)
        attempts = {j.name: 0 for j in jobs}
        running: dict[Any, tuple[Any, ImageJob]] = {}
        idle = list(self.actors)

        def submit(actor, job):
            attempts[job.name] += 1
            running[actor.measure.remote(job)] = (actor, job)

        while queue or running:
            while idle and queue:
                submit(idle.pop(0), queue.pop(0))
            ready, _ = ray.wait(list(running), num_returns=1)
            ref = ready[0]
            actor, job = running.pop(ref)
            try:
                res = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as exc:
                why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                fresh = self._actor_cls.remote(self.setup)  # the dead actor is replaced
                self.actors = [a for a in self.actors if a is not actor] + [fresh]
                idle.append(fresh)
                if attempts[job.name] < MAX_ATTEMPTS:
                    self.retried.append(job.name)
                    queue.insert(0, job)
                    continue
                _deliver(job, _failed(job, f"worker died twice ({why})", attempts[job.name]), done)
                continue
            except ray.exceptions.RayTaskError as exc:
                idle.append(actor)
                _deliver(job, _failed(job, str(exc).strip().splitlines()[-1], attempts[job.name]), done)
                continue
            res.attempts = attempts[job.name]
            idle.append(actor)
            _deliver(job, res, done)

    def close(self) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # already gone
                pass
        if self._started_here:
            self.ray.shutdown()


def _failed(job: ImageJob, why: str, attempts: int) -> ImageResult:
    recs = [{"codec": p.codec, "param": p.param, "image": job.name, "error": why} for p in job.points]
    return ImageResult(name=job.name, records=recs, failures=[f"{p.codec} {p.param} on {job.name}: {why}"
                                                              for p in job.points], worker="lost", attempts=attempts)
