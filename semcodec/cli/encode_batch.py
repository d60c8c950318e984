"""``semenc IMAGE... -d OUT --executor ray``: images spread over Ray workers.

Each worker (:class:`_EncodeWorker`, an actor of :class:`semcodec.raypool.RayPool`)
builds semenc's models once (:class:`~semcodec.cli.image_encoder.ImageEncoder`)
and encodes the images it is given; the driver writes every file itself
(atomically, as each image finishes), so the files are the ones a local run
writes, byte for byte, for a deterministic decoder.  One progress bar over all
images, with the ETA, counts finished images across workers.  A worker that
dies loses only its image, which is retried once on a fresh worker; an image
that fails is reported and the others are still written (exit 1 at the end).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

import click

from ..io import atomic_write
from .common import message, progress_enabled


@dataclass(frozen=True)
class EncodeJob:
    name: str  # the input path as given (unique per run)
    image: Any  # the driver's already loaded and checked picture (so workers need no shared file system)
    caption: str | None = None


@dataclass
class EncodedImage:
    name: str
    data: bytes
    trace: Any  # semcodec.trace.ImageTrace
    file_bytes: int
    bpp: float
    best_clipsim: float
    seed: int | None
    seconds: float
    worker: str = ""
    notes: list[str] = field(default_factory=list)  # one-line notices the worker would have printed


class _EncodeWorker:
    def __init__(self, setup: Any) -> None:
        from ..raypool import limit_threads_to_assigned_cpus, worker_id
        from .image_encoder import ImageEncoder

        limit_threads_to_assigned_cpus()
        self.notes: list[str] = []
        self.encoder = ImageEncoder(setup, notify=self.notes.append)
        self.id = worker_id()

    def measure(self, job: EncodeJob) -> EncodedImage:
        t0 = time.perf_counter()
        res = self.encoder.encode(job.image, job.caption)
        notes, self.notes[:] = list(self.notes), []
        return EncodedImage(name=job.name, data=res.data, trace=res.trace, file_bytes=res.file_bytes, bpp=res.bpp,
                            best_clipsim=res.best_clipsim, seed=res.sem.seed, seconds=time.perf_counter() - t0,
                            worker=self.id, notes=notes)


def run_on_ray(setup, *, images: list[str], loaded: list, outputs: list[str], captions: dict, caption: str | None,
               trace_path: str | None, workers: int, address: str | None, quiet: bool) -> int:
    """Encode ``images`` (their pictures ``loaded``) into ``outputs`` on a Ray pool; returns the exit code
    (1 if any image failed)."""
    from ..raypool import RayPool
    from .image_encoder import caption_for, done_line, write_traces

    t0 = time.perf_counter()
    gpus = 1.0 if str(setup.device or "").startswith("cuda") else 0.0
    pool = RayPool(_EncodeWorker, setup, workers=workers, address=address, gpus_per_worker=gpus)
    out_of = dict(zip(images, outputs))
    jobs = [EncodeJob(name=p, image=img, caption=caption_for(p, caption, captions)) for p, img in zip(images, loaded)]
    traces: dict[str, Any] = {}
    failures: list[str] = []
    bar = click.progressbar(length=len(jobs), label=f"semenc (ray, {workers} workers)", file=sys.stderr,
                            hidden=not progress_enabled(quiet), show_pos=True, show_eta=True)

    def on_result(job, res: EncodedImage, attempts: int) -> None:
        out = out_of[job.name]
        atomic_write(out, res.data)
        for note in res.notes:
            message(note, quiet=False)
        res.trace.input, res.trace.output = job.name, out
        traces[job.name] = res.trace
        if trace_path:  # rewritten after every image, in input order
            write_traces(trace_path, [traces[p] for p in images if p in traces])
        bar.update(1)
        retry = f", attempt {attempts}" if attempts > 1 else ""
        message(done_line(job.name, out, setup.config.container, res.file_bytes, res.bpp, res.best_clipsim, res.seed, res.seconds)
                + f" [{res.worker}{retry}]", quiet=quiet)

    def on_failure(job, why: str, attempts: int) -> None:
        failures.append(f"{job.name}: {why}")
        bar.update(1)
        message(f"semenc: failed: {job.name}: {why}", quiet=False)

    try:
        with bar:
            pool.run(jobs, on_result, on_failure)
    finally:
        pool.close()
    wall = time.perf_counter() - t0
    message(f"semenc: {len(jobs) - len(failures)} of {len(jobs)} images encoded on Ray ({workers} workers"
            f"{', ' + str(len(pool.retried)) + ' retried' if pool.retried else ''}): {wall:.1f} s wall, models included",
            quiet=quiet)
    if failures:
        message(f"semenc: error: {len(failures)} image(s) failed (listed above); the others were written", quiet=False)
        return 1
    return 0
