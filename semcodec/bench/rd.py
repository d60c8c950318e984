"""``sembench rd``: the rate-distortion benchmark over a folder of images.

For every codec of the ladder (:mod:`semcodec.bench.codecs`), every parameter
value and every image: encode to real file bytes, decode from those bytes,
score the reconstruction against the original.  Rate is total bits over total
pixels of the data set; each distortion figure is the mean over images.

Outputs in ``--out``: ``<codec>.json`` (one per codec), ``per_image.csv``,
``summary.md``, ``rd.png`` and, when ``sem`` ran, ``iterations.png``; the
``.sem`` files the sem codec wrote go to ``sem/``.  Work is cached per
(codec, parameter, image, settings hash) in ``--out/cache/`` so an interrupted
run resumes where it stopped.

Without CLIP weights the run still succeeds: the CLIP columns are null and one
line on stderr says which weights are missing and how to get them.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import click

from ..errors import InputError
from ..io import atomic_write
from . import metrics as M
from .cache import cache_path, dump, dump_doc, read_cached, settings_hash, slug
from .codecs import Codec, SemCodec
from .dataset import DatasetImage
from .measure import Scorer
from .report import ORACLE_TYPES, render_summary, write_csv

PROG = "sembench rd"
BASE_COLUMNS = ("param", "bpp", "clipsim", "clipsim_judge", "psnr", "ssim")

DEFAULT_BUDGETS = (80, 120, 160, 240)


def _warn(text: str) -> None:
    """Warnings reach stderr even with --quiet (they are not progress)."""
    click.echo(f"{PROG}: {text}", err=True)


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------




# ---------------------------------------------------------------------------
# The oracle column (data sets with true prompts)
# ---------------------------------------------------------------------------

def load_truths(dataset_dir: str | Path) -> dict[str, str]:
    """Image file name -> true prompt text, from ``prompts.jsonl`` beside the images ({} when absent).

    The file is what ``python -m semcodec.world.dataset`` writes: one JSON
    object a line with ``file`` and ``text``.  A malformed file is bad input.
    """
    path = Path(dataset_dir) / "prompts.jsonl"
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            out[str(rec["file"])] = str(rec["text"])
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{path}: line {n} is not a JSON object with 'file' and 'text'") from None
    return out


def _attach_oracle(rec: dict, truths: dict[str, str] | None) -> None:
    """Add ``oracle_f1`` (and per fact type) to a sem row whose image has a true prompt."""
    if not truths or "error" in rec:
        return
    text = rec.get("info", {}).get("prompt")
    truth = truths.get(rec.get("image", ""))
    if text is None or truth is None:
        return
    from ..world.oracle import score_text

    o = score_text(truth, text)
    rec["oracle_f1"] = o.f1
    rec["oracle_precision"] = o.precision
    rec["oracle_recall"] = o.recall
    for t in ORACLE_TYPES:
        rec[f"oracle_{t}"] = o.per_type[t]


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


@dataclass
class RDReport:
    docs: dict[str, dict]  # codec name -> the <codec>.json document
    rows: list[dict]  # one per (codec, param, image)
    failures: list[str]
    metric: str | None  # what rd.png shows: "clipsim" or "psnr"
    runs: int = 0  # codec runs actually made (cache misses)
    work_s: float = 0.0  # wall seconds the executor spent measuring them
    table: list[dict] = field(default_factory=list)  # one per (codec, point): bpp, mean bytes, CLIPSims, oracle F1


def _aggregate(codec: Codec, points: list, rows_by_point: dict, images: list[DatasetImage],
               oracle: bool = False) -> dict:
    cols = list(BASE_COLUMNS)
    if isinstance(codec, SemCodec):
        cols.append("clipsim_encoder")
        if oracle:
            cols += ["oracle_f1", "oracle_precision", "oracle_recall"] + [f"oracle_{t}" for t in ORACLE_TYPES]
    if not codec.deterministic:
        cols.append("clipsim_std")
    res: dict[str, list] = {c: [] for c in cols}
    for p in points:
        rows = rows_by_point.get(slug(p), [])
        complete = len(rows) == len(images) and all("error" not in r for r in rows)
        res["param"].append(p)
        for c in cols[1:]:
            if not complete:
                res[c].append(None)
            elif c == "bpp":
                res[c].append(M.total_bpp([r["bytes"] for r in rows], [r["width"] * r["height"] for r in rows]))
            else:
                res[c].append(M.mean_or_none(r.get(c) for r in rows))
    return res


def run_rd(
    images: list[DatasetImage],
    codecs: Sequence[Codec],
    out_dir: str | Path,
    *,
    scorer: Scorer | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = False,
    describe_metrics: str = "",
    command: str = "",
    versions: dict | None = None,
    dataset_label: str = "",
    truths: dict[str, str] | None = None,
    executor: Any = None,
    html: bool = False,
) -> RDReport:
    """Run every codec over every point and image; write all outputs into ``out_dir``.

    ``truths`` (image name -> true prompt text) adds the world oracle's
    columns to the sem rows (see :mod:`semcodec.world.oracle`).  ``executor``
    runs the uncached work (:mod:`semcodec.bench.executor`; default: in this
    process with ``codecs`` and ``scorer``); everything written is the same.
    ``html`` also writes ``report.html`` (:func:`write_html_report`).
    """
    from .executor import ImageJob, LocalExecutor, Point

    scorer = scorer or Scorer()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(cache_dir) if cache_dir is not None else out / "cache"
    docs: dict[str, dict] = {}
    all_rows: list[dict] = []
    failures: list[str] = []

    # 1. Plan: every (codec, point, image) not in the cache becomes work, grouped by image.
    by_name = {c.name: c for c in codecs}
    found: dict[tuple[str, str, str], dict] = {}
    todo: dict[str, list] = {img.name: [] for img in images}
    for codec in codecs:
        for param in codec.points():
            for img in images:
                key = settings_hash(codec, param, img, scorer)
                rec = read_cached(cache_path(cache, codec, param, img, key), key)
                if rec is None:
                    todo[img.name].append(Point(codec.name, param, key))
                else:
                    found[(codec.name, slug(param), img.name)] = rec
    jobs = [ImageJob(img.name, str(img.path), tuple(todo[img.name])) for img in images if todo[img.name]]
    runs = sum(len(j.points) for j in jobs)

    # 2. Execute: each record is cached as soon as it arrives, so an interrupted run resumes.
    by_image = {img.name: img for img in images}
    left = {j.name: len(j.points) for j in jobs}
    bar = click.progressbar(length=len(jobs), label=f"sembench rd ({getattr(executor, 'name', 'local')})",
                            hidden=not progress or not jobs, file=sys.stderr, show_pos=True, show_eta=True)

    def done(job, pt, rec, failure) -> None:
        img = by_image[job.name]
        if failure is not None:
            failures.append(failure)
            _warn(f"failed: {failure}")
            rec.setdefault("width", img.image.width)
            rec.setdefault("height", img.image.height)
        else:
            path = cache_path(cache, by_name[pt.codec], pt.param, img, pt.key)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, dump(rec))
        found[(pt.codec, slug(pt.param), job.name)] = rec
        left[job.name] -= 1
        if left[job.name] == 0:
            bar.update(1)

    work0 = time.perf_counter()
    with bar:
        (executor or LocalExecutor(codecs, scorer, {i.name: i.image for i in images})).run(jobs, done)
    work_s = time.perf_counter() - work0

    # 3. Assemble, in the ladder's order: result files, per-image rows, the coded .sem files.
    for codec in codecs:
        points = codec.points()
        rows_by_point: dict[str, list[dict]] = {}
        for param in points:
            for img in images:
                rec = found[(codec.name, slug(param), img.name)]
                _attach_oracle(rec, truths)
                rows_by_point.setdefault(slug(param), []).append(rec)
                all_rows.append(rec)
                if rec.get("info", {}).get("sem_hex"):
                    (out / "sem").mkdir(exist_ok=True)
                    stem = Path(img.name).stem
                    atomic_write(out / "sem" / f"{slug(stem)}-{slug(param)}.sem", bytes.fromhex(rec["info"]["sem_hex"]))
        desc = codec.description + (f" | {describe_metrics}" if describe_metrics else "")
        docs[codec.name] = {
            "name": codec.name,
            "description": desc,
            "results": _aggregate(codec, points, rows_by_point, images,
                                  oracle=bool(truths) and all(i.name in truths for i in images)),
        }
        atomic_write(out / f"{codec.name}.json", dump_doc(docs[codec.name]))

    write_csv(out / "per_image.csv", all_rows)
    metric = None
    if docs:
        from .plots import plot_iterations, plot_rd

        refs = {c.name: c.reference for c in codecs if c.reference is not None}
        critic = scorer.critic_id.split("@")[0] if scorer.critic is not None and scorer.critic_id else None
        holder: dict = {}
        atomic_write(
            out / "rd.png",
            lambda tmp: holder.update(metric=plot_rd(docs, tmp, references=refs, critic=critic,
                                                     title=f"rate-distortion{': ' + dataset_label if dataset_label else ''}")),
        )
        metric = holder.get("metric")
        curves: dict[Any, list] = {}
        for r in all_rows:
            if r.get("codec") == "sem" and r.get("iterations"):
                curves.setdefault(r["param"], []).append([(it["t"], it["best_clipsim"]) for it in r["iterations"]])
        if curves:
            atomic_write(out / "iterations.png", lambda tmp: plot_iterations(curves, tmp, critic=critic))
    summary = render_summary(docs, codecs, images, command=command, versions=versions or {},
                             describe_metrics=describe_metrics, failures=failures, metric=metric,
                             dataset_label=dataset_label)
    atomic_write(out / "summary.md", summary.encode("utf-8"))
    if html:
        write_html_report(out, images, codecs, all_rows, {}, command=command, dataset_label=dataset_label,
                          failures=failures)
    return RDReport(docs=docs, rows=all_rows, failures=failures, metric=metric, runs=runs, work_s=work_s,
                    table=_table(codecs, all_rows))



# ---------------------------------------------------------------------------
# The HTML report
# ---------------------------------------------------------------------------


def report_point(codec: Codec) -> Any:
    """The one parameter value the report shows images for: the reference point, else the middle one."""
    pts = codec.points()
    if codec.reference is not None and codec.reference in pts:
        return codec.reference
    return pts[len(pts) // 2] if pts else None


def _reconstruction(codec: Codec, rec: dict, img: DatasetImage, kept: dict):
    """The report point's reconstruction: kept from this run, else re-made (None if it cannot be).

    Pixel codecs are deterministic and cheap: run again.  The sem codec with a
    deterministic decoder: render its file's bytes again.  A non-deterministic
    one is not re-rendered (a different picture, perhaps a paid call)."""
    k = (codec.name, slug(rec["param"]), img.name)
    if k in kept:
        return kept[k]
    if "error" in rec:
        return None
    if isinstance(codec, SemCodec):
        hexdata = rec.get("info", {}).get("sem_hex")
        if not codec.deterministic or not hexdata:
            return None
        from ..container import decode
        from ..decoder import render

        return M.match_size(render(decode(bytes.fromhex(hexdata)), codec.generator), img.image)
    return codec.run(img.image, rec["param"]).reconstruction


def _table(codecs: Sequence[Codec], rows: list[dict]) -> list[dict]:
    out = []
    for codec in codecs:
        for p in codec.points():
            rs = [r for r in rows if r.get("codec") == codec.name and slug(r.get("param")) == slug(p)]
            ok = bool(rs) and all("error" not in r for r in rs)
            out.append({
                "codec": codec.name, "param": p,
                "bpp": M.total_bpp([r["bytes"] for r in rs], [r["width"] * r["height"] for r in rs]) if ok else None,
                "mean_bytes": M.mean_or_none(r["bytes"] for r in rs) if ok else None,
                "clipsim": M.mean_or_none(r.get("clipsim") for r in rs) if ok else None,
                "clipsim_judge": M.mean_or_none(r.get("clipsim_judge") for r in rs) if ok else None,
                "oracle_f1": M.mean_or_none(r.get("oracle_f1") for r in rs) if ok else None,
            })
    return out


def write_html_report(out: Path, images: list[DatasetImage], codecs: Sequence[Codec], rows: list[dict], kept: dict,
                      *, command: str = "", dataset_label: str = "", failures: Sequence[str] = ()) -> Path:
    """``out/report.html``: the plot, the table, and per image the report point of every codec and
    the sem codec's refinement gallery (renders re-made for a deterministic decoder)."""
    from .html_report import build_rd_report, rerender_gallery

    by_key = {(r.get("codec"), slug(r.get("param")), r.get("image")): r for r in rows}
    per_image = []
    for img in images:
        entry: dict[str, Any] = {"name": img.name, "original": img.image, "recons": []}
        for codec in codecs:
            p = report_point(codec)
            rec = by_key.get((codec.name, slug(p), img.name))
            if rec is None:
                continue
            entry["recons"].append({"codec": codec.name, "param": p, "bytes": rec.get("bytes"),
                                    "clipsim": rec.get("clipsim"), "image": _reconstruction(codec, rec, img, kept)})
            gallery = rec.get("info", {}).get("gallery")
            if isinstance(codec, SemCodec) and gallery:
                entry["gallery"] = gallery
                entry["gallery_param"] = p
                entry["renders"] = rerender_gallery(gallery, codec.generator, img.image.width, img.image.height)
        per_image.append(entry)
    rd_png = (out / "rd.png").read_bytes() if (out / "rd.png").is_file() else None
    notes = [f"failed: {f}" for f in failures]
    notes.append("Images per codec at one point: its reference point, else the middle of its sweep.")
    page = build_rd_report(title=f"sembench rd{': ' + dataset_label if dataset_label else ''}", rd_png=rd_png,
                           table=_table(codecs, rows), images=per_image, command=command, notes=notes)
    path = out / "report.html"
    atomic_write(path, page.encode("utf-8"))
    return path
