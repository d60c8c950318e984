"""The rd benchmark's written reports: ``per_image.csv`` and ``summary.md``."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, Sequence

from ..io import atomic_write
from .codecs import Codec
from .dataset import DatasetImage

ORACLE_TYPES = ("scene", "lighting", "shape", "colour", "count", "size")


CSV_COLUMNS = ("codec", "param", "image", "width", "height", "bytes", "bpp", "clipsim", "clipsim_judge", "psnr",
               "ssim", "clipsim_encoder", "clipsim_std", "oracle_f1", "decodes", "sha256", "error")


def write_csv(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        vals = []
        for c in CSV_COLUMNS:
            v = r.get(c)
            if v is None:
                vals.append("")
            elif isinstance(v, float):
                vals.append("inf" if v == math.inf else repr(v))
            else:
                vals.append(str(v))
        w.writerow(vals)
    atomic_write(path, buf.getvalue().encode("utf-8"))


def _fmt(v: Any, spec: str) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and not math.isfinite(v):
        return "∞"
    return format(v, spec)


def render_summary(docs: dict, codecs: Sequence[Codec], images: list[DatasetImage], *, command: str, versions: dict,
                   describe_metrics: str, failures: list[str], metric: str | None, dataset_label: str = "") -> str:
    n = len(images)
    px = sum(i.pixels for i in images)
    lines = [f"# sembench rd{': ' + dataset_label if dataset_label else ''}", ""]
    lines.append(f"{n} image(s), {px} pixels in all: " + ", ".join(f"{i.name} {i.image.width}x{i.image.height}" for i in images))
    lines.append("")
    lines.append("Rate: bpp = 8 × total file bytes / total original pixels over the data set. "
                 "Distortion: mean over images.")
    if any("oracle_f1" in d["results"] for d in docs.values()):
        lines.append("Oracle (sem rows; the data set's prompts.jsonl holds the true prompts): the coded prompt read "
                     "back with the world grammar vs the true scene, F1 over scene-graph facts and accuracy per fact "
                     "type (semcodec.world.oracle); pixel codecs carry no text and get CLIPSim only.")
    if describe_metrics:
        lines.append(f"Metrics: {describe_metrics}.")
    if metric == "psnr":
        lines.append("CLIPSim unavailable (no CLIP weights): rd.png shows PSNR.")
    lines.append("")
    by_name = {c.name: c for c in codecs}
    for name, doc in docs.items():
        codec = by_name[name]
        res = doc["results"]
        lines.append(f"## {name}")
        lines.append("")
        lines.append(codec.description + ".")
        lines.append("")
        extra = [c for c in ("clipsim_encoder", "clipsim_std", "oracle_f1") if c in res]
        head = [codec.param_label, "bpp", "mean bytes", "CLIPSim", "CLIPSim judge", "PSNR dB", "SSIM"]
        head += [{"clipsim_encoder": "CLIPSim encoder", "clipsim_std": "CLIPSim decode std",
                  "oracle_f1": "oracle F1"}[c] for c in extra]
        if "oracle_f1" in res:
            head.append("oracle per type (" + " / ".join(ORACLE_TYPES) + ")")
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for i, p in enumerate(res["param"]):
            mb = None
            if res["bpp"][i] is not None and px:
                mb = res["bpp"][i] * px / 8 / n
            ref = " (ref)" if codec.reference is not None and p == codec.reference else ""
            cells = [f"{p}{ref}", _fmt(res["bpp"][i], ".4g"), _fmt(mb, ".1f"), _fmt(res["clipsim"][i], ".4f"),
                     _fmt(res["clipsim_judge"][i], ".4f"), _fmt(res["psnr"][i], ".2f"), _fmt(res["ssim"][i], ".4f")]
            cells += [_fmt(res[c][i], ".4f") for c in extra]
            if "oracle_f1" in res:
                cells.append(" / ".join(_fmt(res[f"oracle_{t}"][i], ".2f") for t in ORACLE_TYPES))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if failures:
        lines.append(f"## Failures ({len(failures)})")
        lines.append("")
        lines += [f"- {f}" for f in failures]
        lines.append("")
    if command:
        lines.append(f"Command: `{command}`")
        lines.append("")
    if versions:
        lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
        lines.append("")
    return "\n".join(lines)



def text_table(table: Sequence[dict]) -> str:
    """The run's one-line-per-point table for stdout (``RDReport.table``); the oracle column only where
    some row has one (a data set with true prompts)."""
    oracle = any(r.get("oracle_f1") is not None for r in table)
    head = ["codec", "param", "bpp", "mean_bytes", "clipsim", "clipsim_judge"] + (["oracle_f1"] if oracle else [])
    specs = {"bpp": ".5f", "mean_bytes": ".1f", "clipsim": ".4f", "clipsim_judge": ".4f", "oracle_f1": ".3f"}
    lines = [head]
    for r in table:
        lines.append([str(r["codec"]), str(r["param"])]
                     + [_fmt(r.get(c), specs[c]) if r.get(c) is not None else "-" for c in head[2:]])
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
                     for row in lines)
