"""Plots for ``sembench rd`` (matplotlib, Agg backend, PNG files)."""

from __future__ import annotations

import math
import os
from typing import Any, Mapping, Sequence

from ..errors import MissingError


def _figure(width: float, height: float):
    """A figure drawn by the Agg canvas, without pyplot (no global backend state)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingError("plots need matplotlib, in the 'bench' extra: pip install 'semcodec[bench]'") from None
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def rd_metric(results: Mapping[str, Mapping]) -> str:
    """"clipsim" if any codec has a CLIPSim value, else "psnr"."""
    for doc in results.values():
        if any(_finite(v) for v in doc["results"].get("clipsim", [])):
            return "clipsim"
    return "psnr"


def plot_rd(
    results: Mapping[str, Mapping],
    path: str | os.PathLike,
    *,
    references: Mapping[str, Any] | None = None,
    critic: str | None = None,
    title: str = "rate-distortion",
) -> str:
    """One curve per codec, log-bpp x axis; CLIPSim, or PSNR when CLIPSim is unavailable.

    ``results`` maps codec name to its JSON document (``{"results": {...}}``);
    ``references`` maps codec name to its reference-baseline parameter, marked
    with a ring.  Returns the metric plotted.
    """
    metric = rd_metric(results)
    fig, ax = _figure(7.5, 5.0)
    for name, doc in results.items():
        res = doc["results"]
        pts = [
            (b, y, p)
            for b, y, p in zip(res["bpp"], res.get(metric, []), res["param"])
            if _finite(b) and b > 0 and _finite(y)
        ]
        if not pts:
            continue
        pts.sort()
        xs, ys, ps = zip(*pts)
        (line,) = ax.plot(xs, ys, marker="o", markersize=4, label=name)
        ref = (references or {}).get(name)
        for x, y, p in pts:
            if ref is not None and p == ref:
                ax.plot([x], [y], marker="o", markersize=11, markerfacecolor="none", color=line.get_color())
                ax.annotate(f"{name} {p}", (x, y), textcoords="offset points", xytext=(6, -12), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("bits per pixel (total bits / total pixels, log scale)")
    if metric == "clipsim":
        ax.set_ylabel(f"CLIPSim ({critic})" if critic else "CLIPSim")
        ax.set_title(title)
    else:
        ax.set_ylabel("PSNR (dB, RGB)")
        ax.set_title(f"{title}: PSNR shown, CLIPSim unavailable (no CLIP weights)")
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(os.fspath(path), format="png")
    return metric


def plot_iterations(
    curves: Mapping[Any, Sequence[Sequence[tuple[int, float]]]],
    path: str | os.PathLike,
    *,
    critic: str | None = None,
) -> None:
    """Encoder-side best CLIPSim per refinement iteration, mean over images, one line per budget.

    ``curves`` maps a budget to a list (one per image) of ``(t, best_clipsim)`` lists.
    """
    fig, ax = _figure(7.0, 4.5)
    for budget, per_image in curves.items():
        by_t: dict[int, list[float]] = {}
        for seq in per_image:
            for t, v in seq:
                if _finite(v):
                    by_t.setdefault(int(t), []).append(float(v))
        if not by_t:
            continue
        ts = sorted(by_t)
        ax.plot(ts, [sum(by_t[t]) / len(by_t[t]) for t in ts], marker="o", markersize=4, label=f"{budget} bytes")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("refinement iteration t")
    ax.set_ylabel(f"best CLIPSim so far ({critic}, encoder side)" if critic else "best CLIPSim so far (encoder side)")
    ax.set_title("sem: CLIPSim over refinement iterations (mean over images)")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(os.fspath(path), format="png")
