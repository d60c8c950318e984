"""A pool of Ray actors that each build their models once and take one job at a time.

Used by ``sembench rd --executor ray`` (:mod:`semcodec.bench.executor`) and
``semenc IMAGE... --executor ray`` (:mod:`semcodec.cli.encode_batch`).  The
pool knows nothing of what a job is: a *worker class* is constructed on each
actor from a picklable *setup* (what to build), and its ``measure(job)`` is
called with one job (anything picklable with a ``name``) and returns the
result.  Scheduling is Ray's; this module only keeps every actor busy, and
when an actor dies it replaces the actor and retries that job once
(:data:`MAX_ATTEMPTS`), so a lost worker costs only the job it held.

Ray is imported lazily: without it, :func:`import_ray` raises MissingError
with the install command (exit 4 at the command line).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import MissingError

RAY_INSTALL = "pip install 'semcodec[ray]'"
MAX_ATTEMPTS = 2  # a worker that dies costs its job one retry


def import_ray():
    try:
        import ray
    except ModuleNotFoundError:
        raise MissingError(f"--executor ray needs Ray: {RAY_INSTALL}") from None
    return ray


def limit_threads_to_assigned_cpus() -> None:
    """One worker per CPU it was given: torch must not use every core of the machine."""
    try:
        import ray
        import torch

        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1)
        torch.set_num_threads(max(1, int(cpus)))
    except ImportError:
        pass


def worker_id() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"


# on_result(job, result, attempts) / on_failure(job, one-line reason, attempts)
OnResult = Callable[[Any, Any, int], None]
OnFailure = Callable[[Any, str, int], None]


class RayPool:
    """``workers`` actors of ``worker_cls(setup)`` on a local cluster of that many CPUs, or on ``address``'s."""

    def __init__(self, worker_cls: type, setup: Any, *, workers: int = 2, address: str | None = None,
                 gpus_per_worker: float = 0.0) -> None:
        ray = import_ray()
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
            root = str(Path(__file__).resolve().parents[1])
            kwargs["runtime_env"] = {"env_vars": {"PYTHONPATH": os.pathsep.join(
                p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}}
            ray.init(**kwargs)
        self._actor_cls = ray.remote(num_cpus=1, num_gpus=gpus_per_worker, max_restarts=0)(worker_cls)
        self.actors = [self._actor_cls.remote(setup) for _ in range(workers)]  # they build their models meanwhile
        self.retried: list[str] = []  # names of the jobs whose worker died once

    def run(self, jobs: Sequence[Any], on_result: OnResult, on_failure: OnFailure) -> None:
        """Every job once (twice if its worker died); results and failures reported as they come."""
        ray = self.ray
        queue = list(jobs)
        attempts = {j.name: 0 for j in jobs}
        running: dict[Any, tuple[Any, Any]] = {}
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
                on_failure(job, f"worker died twice ({why})", attempts[job.name])
                continue
            except ray.exceptions.RayTaskError as exc:
                idle.append(actor)
                on_failure(job, str(exc).strip().splitlines()[-1], attempts[job.name])
                continue
            idle.append(actor)
            on_result(job, res, attempts[job.name])

    def close(self) -> None:
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # already gone
                pass
        if self._started_here:
            self.ray.shutdown()
