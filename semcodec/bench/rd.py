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

import csv
import hashlib
import io
import json
import math
import platform
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import click

from .._version import __version__
from ..errors import InputError, MissingError, SemError
from ..io import atomic_write
from ..cli.loop_options import loop_size_options
from ..cli.common import device_option, model_dir_option, progress_enabled, quiet_option, run_main, sem_errors
from ..registry import (DEFAULT_CRITIC, DEFAULT_DECODER, DEFAULT_DESCRIBER, DEFAULT_PROMPT_CODEC, critic_names, decoder_by_name,
                        decoder_names, describer_names, prompt_codec_names)
from .codecs import CODECS, Codec, SemCodec, default_codec_names, parse_codec_names
from .dataset import DatasetImage, load_dataset
from . import metrics as M

PROG = "sembench rd"
CACHE_VERSION = 1  # bump when a cached record's meaning changes
BASE_COLUMNS = ("param", "bpp", "clipsim", "clipsim_judge", "psnr", "ssim")

DEFAULT_BUDGETS = (80, 120, 160, 240)


def _warn(text: str) -> None:
    """Warnings reach stderr even with --quiet (they are not progress)."""
    click.echo(f"{PROG}: {text}", err=True)


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------


@dataclass
class Scorer:
    """Computes the distortion columns; a critic or judge of None leaves its column null.

    ``critic_id``/``judge_id`` identify the models (name, revision, weights
    folder) and go into the cache key, so results made without weights are not
    reused once weights are present.
    """

    critic: Any = None
    judge: Any = None
    critic_id: str | None = None
    judge_id: str | None = None
    _embeddings: dict = field(default_factory=dict)

    def _original(self, which: str, model: Any, img: DatasetImage):
        key = (which, img.digest)
        if key not in self._embeddings:
            self._embeddings[key] = model.embed_images([img.image])[0]
        return self._embeddings[key]

    def score(self, img: DatasetImage, reconstructions: Sequence) -> dict:
        """Per-image metrics, each the mean over the reconstructions (fresh decodes)."""
        recs = [M.match_size(r, img.image) for r in reconstructions]
        out: dict[str, Any] = {"clipsim": None, "clipsim_judge": None}
        if self.critic is not None:
            sims = M.clipsim_to(self.critic, self._original("critic", self.critic, img), recs)
            out["clipsim"] = M.mean_or_none(sims)
            if len(sims) > 1:
                out["clipsim_decodes"] = sims
                out["clipsim_std"] = M.std_or_none(sims)
        if self.judge is not None:
            out["clipsim_judge"] = M.mean_or_none(M.clipsim_to(self.judge, self._original("judge", self.judge, img), recs))
        out["psnr"] = M.mean_or_none(M.psnr(img.image, r) for r in recs)
        out["ssim"] = M.mean_or_none(M.ssim(img.image, r) for r in recs)
        return out


# ---------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------


def _loop_settings(codec: Codec) -> dict | None:
    """The encoder loop behaviour a sem codec runs with (EncoderConfig's default), so a change re-runs it."""
    if not isinstance(codec, SemCodec):
        return None
    from ..encoder import REFERENCE_LOOP, EncoderConfig

    cfg = EncoderConfig()
    return {k: getattr(cfg, k) for k in REFERENCE_LOOP}


def settings_hash(codec: Codec, param: Any, img: DatasetImage, scorer: Scorer) -> str:
    loop = _loop_settings(codec)
    blob = json.dumps(
        {
            "cache": CACHE_VERSION,
            "codec": codec.settings(),
            "param": param,
            "image": img.digest,
            "critic": scorer.critic_id if scorer.critic is not None else None,
            "judge": scorer.judge_id if scorer.judge is not None else None,
            **({"loop": loop} if loop is not None else {}),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _slug(value: Any) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(value))


def _cache_path(cache_dir: Path, codec: Codec, param: Any, img: DatasetImage, key: str) -> Path:
    return cache_dir / _slug(codec.name) / _slug(param) / f"{_slug(img.name)}-{key}.json"


def _json_safe(value: Any) -> Any:
    """Non-finite floats become null (JSON has no inf/NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _dump(doc: Any) -> bytes:
    return (json.dumps(_json_safe(doc), indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _dump_doc(doc: dict) -> bytes:
    """A <codec>.json document: indented, each results column on one line."""
    doc = _json_safe(doc)
    head = [f" {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}," for k, v in doc.items() if k != "results"]
    cols = [f"  {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in doc["results"].items()]
    return ("{\n" + "\n".join(head) + '\n "results": {\n' + ",\n".join(cols) + "\n }\n}\n").encode("utf-8")


def _read_cached(path: Path, key: str) -> dict | None:
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("key") != key:
        return None
    return rec


# ---------------------------------------------------------------------------
# The oracle column (data sets with true prompts)
# ---------------------------------------------------------------------------

ORACLE_TYPES = ("scene", "lighting", "shape", "colour", "count", "size")


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


def _measure(codec: Codec, param: Any, img: DatasetImage, scorer: Scorer, key: str) -> dict:
    out = codec.run(img.image, param)
    nbytes = len(out.bytes_)
    rec: dict[str, Any] = {
        "key": key,
        "codec": codec.name,
        "param": param,
        "image": img.name,
        "width": img.image.width,
        "height": img.image.height,
        "bytes": nbytes,
        "bpp": M.bpp(nbytes, img.image.width, img.image.height),
        "sha256": hashlib.sha256(out.bytes_).hexdigest(),
        "decodes": len(out.reconstructions),
    }
    rec.update(scorer.score(img, out.reconstructions))
    info = dict(out.info)
    if "clipsim_encoder" in info:
        rec["clipsim_encoder"] = info.pop("clipsim_encoder")
    if "iterations" in info:
        rec["iterations"] = info.pop("iterations")
    rec["info"] = info
    return rec


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
        rows = rows_by_point.get(_slug(p), [])
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
) -> RDReport:
    """Run every codec over every point and image; write all outputs into ``out_dir``.

    ``truths`` (image name -> true prompt text) adds the world oracle's
    columns to the sem rows (see :mod:`semcodec.world.oracle`).
    """
    scorer = scorer or Scorer()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(cache_dir) if cache_dir is not None else out / "cache"
    total = sum(len(c.points()) for c in codecs) * len(images)
    docs: dict[str, dict] = {}
    all_rows: list[dict] = []
    failures: list[str] = []
    runs = 0
    bar = click.progressbar(
        length=total, label="sembench rd", hidden=not progress, file=sys.stderr, show_pos=True
    )
    with bar:
        for codec in codecs:
            points = codec.points()
            rows_by_point: dict[str, list[dict]] = {}
            for param in points:
                for img in images:
                    key = settings_hash(codec, param, img, scorer)
                    path = _cache_path(cache, codec, param, img, key)
                    rec = _read_cached(path, key)
                    if rec is None:
                        runs += 1
                        try:
                            rec = _measure(codec, param, img, scorer, key)
                        except SemError as exc:
                            msg = f"{codec.name} {param} on {img.name}: {exc}"
                            failures.append(msg)
                            _warn(f"failed: {msg}")
                            rec = {"codec": codec.name, "param": param, "image": img.name, "width": img.image.width,
                                   "height": img.image.height, "error": str(exc)}
                        else:
                            path.parent.mkdir(parents=True, exist_ok=True)
                            atomic_write(path, _dump(rec))
                    _attach_oracle(rec, truths)
                    rows_by_point.setdefault(_slug(param), []).append(rec)
                    all_rows.append(rec)
                    if rec.get("info", {}).get("sem_hex"):
                        (out / "sem").mkdir(exist_ok=True)
                        stem = Path(img.name).stem
                        atomic_write(out / "sem" / f"{_slug(stem)}-{_slug(param)}.sem", bytes.fromhex(rec["info"]["sem_hex"]))
                    bar.update(1)
            desc = codec.description + (f" | {describe_metrics}" if describe_metrics else "")
            docs[codec.name] = {
                "name": codec.name,
                "description": desc,
                "results": _aggregate(codec, points, rows_by_point, images,
                                      oracle=bool(truths) and all(i.name in truths for i in images)),
            }
            atomic_write(out / f"{codec.name}.json", _dump_doc(docs[codec.name]))

    _write_csv(out / "per_image.csv", all_rows)
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
    return RDReport(docs=docs, rows=all_rows, failures=failures, metric=metric, runs=runs)


CSV_COLUMNS = ("codec", "param", "image", "width", "height", "bytes", "bpp", "clipsim", "clipsim_judge", "psnr",
               "ssim", "clipsim_encoder", "clipsim_std", "oracle_f1", "decodes", "sha256", "error")


def _write_csv(path: Path, rows: list[dict]) -> None:
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


# ---------------------------------------------------------------------------
# Model loading for the command
# ---------------------------------------------------------------------------


def _versions(extra: Sequence[str] = ()) -> dict:
    from importlib import metadata

    out = {"semcodec": __version__, "Python": platform.python_version()}
    for dist in ("Pillow", "numpy", "scikit-image", "matplotlib", *extra):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def _critic_spec(name: str) -> Any:
    from .. import registry

    finder = getattr(registry, "critic_by_name", None)
    if finder is None:
        return None
    try:
        return finder(name)
    except SemError:
        return None


def default_judge() -> str:
    """The registry's judge critic (role "judge"), or "judge" until the registry has one."""
    from .. import registry

    for spec in getattr(registry, "CRITICS", ()):
        if getattr(spec, "role", None) == "judge":
            return spec.name
    return "judge"


def model_identity(name: str, model_dir: str | None, spec=None) -> str:
    """name@revision|weights-folder: what the cache keys and descriptions carry.

    The folder part includes the weights files' sizes and modification times, so
    weights replaced in place are measured afresh rather than read from the cache."""
    spec = spec if spec is not None else _critic_spec(name)
    rev = getattr(spec, "revision", None) if spec is not None else None
    source = str(getattr(spec, "source", "") or "")
    if model_dir and Path(model_dir, name).is_dir():
        folder = Path(model_dir, name).resolve()
        stamp = sorted((str(p.relative_to(folder)), p.stat().st_size, int(p.stat().st_mtime))
                       for p in folder.rglob("*") if p.is_file())
        where = f"{folder}#{hashlib.sha256(repr(stamp).encode()).hexdigest()[:12]}"
    elif source.startswith("package:"):
        where = "package"
    else:
        where = "hub"
    return f"{name}@{rev or 'unpinned'}|{where}"


def describe_model(name: str, role: str) -> str:
    spec = _critic_spec(name)
    if spec is None:
        return f"{role} {name}"
    parts = [f"{role} {name}"]
    for attr in ("arch", "pretrained", "source", "hub_repo", "repo", "revision"):
        v = getattr(spec, attr, None)
        if v:
            parts.append(f"{attr} {v}")
    return ", ".join(parts)


def _missing_module(exc: ModuleNotFoundError, extra: str = "local") -> MissingError:
    if exc.name and exc.name.startswith("semcodec"):
        return MissingError(f"this semcodec has no {exc.name} module")
    return MissingError(f"{exc.name} is not installed: pip install 'semcodec[{extra}]'")


def load_scoring_model(name: str, *, device: str | None, model_dir: str | None) -> Any:
    """A critic through :func:`semcodec.backends.load_critic`; a missing module is a MissingError."""
    from ..backends import load_critic

    try:
        return load_critic(name, device=device, model_dir=model_dir)
    except ModuleNotFoundError as exc:
        raise _missing_module(exc) from None


def _missing_line(missing: list[tuple[str, str, MissingError]]) -> str:
    """One line: which weights the CLIP columns need and how to get them."""
    what = " and ".join(f"{name} ({role})" for name, role, _ in missing)
    how = " and ".join(f"`semmodels download {name}`" for name, _, _ in missing)
    reasons = [str(e) for _, _, e in missing if "semmodels download" not in str(e)]
    why = f" ({reasons[0]})" if reasons else ""
    return (f"CLIP columns left empty: CLIPSim needs the CLIP weights {what}, which could not be loaded{why}; "
            f"get them with {how} or pass --model-dir DIR; rate, PSNR and SSIM are still computed")


def build_sem_codec(*, critic: Any, critic_name: str, budgets: Sequence[int], decoder: str, describer: str,
                    describer_model: str | None, prompt_codec: str, n: int, m: int, k: int, decodes: int,
                    device: str | None, model_dir: str | None) -> SemCodec:
    """The sem leaf with its models; MissingError (with the reason) if it cannot run here."""
    from ..backends import load_describer, load_generator

    if critic is None:
        raise MissingError(f"the encoder needs the critic {critic_name} (`semmodels download {critic_name}` or --model-dir DIR)")
    try:
        generator = load_generator(decoder_by_name(decoder), device=device, model_dir=model_dir)
        desc = load_describer(describer, model=describer_model, device=device, model_dir=model_dir)
    except ModuleNotFoundError as exc:
        raise _missing_module(exc) from None
    identity = {"critic_id": model_identity(critic_name, model_dir), "describer_name": describer,
                "decoder_id": model_identity(decoder, model_dir, decoder_by_name(decoder))}
    if describer_model:
        identity["describer_model"] = describer_model
    return SemCodec(critic=critic, generator=generator, describer=desc, points=budgets, n=n, m=m, k=k,
                    decoder=decoder, prompt_codec=prompt_codec, decodes=decodes, identity=identity)


def _int_list(text: str, what: str) -> list[int]:
    try:
        vals = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of integers", param_hint=what) from None
    if not vals or any(v <= 0 for v in vals):
        raise click.BadParameter("give positive integers", param_hint=what)
    return vals


def _command_line(ctx: click.Context) -> str:
    from click.core import ParameterSource

    args, opts = [], []
    for p in ctx.command.params:
        src = ctx.get_parameter_source(p.name)
        if src in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
            continue
        v = ctx.params.get(p.name)
        if isinstance(p, click.Argument):
            args.append(shlex.quote(str(v)))
            continue
        opt = max(p.opts, key=len)
        if getattr(p, "is_flag", False):
            if v:
                opts.append(opt)
        elif v is not None:
            opts += [opt, shlex.quote(str(v))]
    return " ".join(["sembench", "rd", *args, *opts])


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


@click.command("rd", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("dataset_dir", type=click.Path(file_okay=False), metavar="DATASET_DIR")
@click.option("--codecs", "codec_list", default=None, metavar="LIST",
              help=f"Comma list from {', '.join(CODECS)} (default: all available here).")
@click.option("--out", "out_dir", default="out/rd", show_default=True, type=click.Path(file_okay=False),
              help="Output folder (results, plots, cache/).")
@click.option("--cache-dir", default=None, type=click.Path(file_okay=False),
              help="Cache folder (default OUT/cache).")
@click.option("--critic", type=click.Choice(critic_names()), default=DEFAULT_CRITIC, show_default=True, help="CLIP critic for CLIPSim (and the sem encoder).")
@click.option("--judge", default=default_judge, show_default="the registry's judge",
              help="Held-out CLIP for the clipsim_judge column.")
@model_dir_option
@device_option
@click.option("--decodes", default=3, show_default=True, type=click.IntRange(1, 100),
              help="Fresh decodes per file for a non-deterministic decoder (mean and spread reported).")
@click.option("--budgets", default=",".join(map(str, DEFAULT_BUDGETS)), show_default=True,
              help="sem: byte budgets of the whole .sem file.")
@click.option("--decoder", type=click.Choice(decoder_names()), default=DEFAULT_DECODER, show_default=True,
              help="sem: decoder.")
@click.option("--describer", type=click.Choice(describer_names()), default=DEFAULT_DESCRIBER, show_default=True,
              help="sem: describer/refiner, 'openai' or a local VLM name.")
@click.option("--describer-model", default=None, help="sem: model for an API describer.")
@click.option("--prompt-codec", type=click.Choice(prompt_codec_names()), default=DEFAULT_PROMPT_CODEC,
              show_default=True, help="sem: prompt codec.")
@loop_size_options(what="sem: ")
@click.option("--limit", default=None, type=click.IntRange(1), help="Use only the first N images (sorted by name).")
@quiet_option
@sem_errors
def rd(dataset_dir: str, codec_list: str | None, out_dir: str, cache_dir: str | None, critic: str, judge: str,
       model_dir: str | None, device: str | None, decodes: int, budgets: str, decoder: str, describer: str,
       describer_model: str | None, prompt_codec: str, n: int, m: int, k: int, limit: int | None, quiet: bool) -> int:
    """Rate-distortion benchmark of the codec ladder over the images in DATASET_DIR.

    Writes <codec>.json, per_image.csv, summary.md, rd.png (and iterations.png
    when sem ran) into --out.  Without CLIP weights the CLIP columns are null.
    Exit codes: 0 ok, 1 some runs failed, 2 usage, 3 bad input, 4 nothing could run.
    """
    ctx = click.get_current_context()
    try:
        names = parse_codec_names(codec_list) if codec_list else default_codec_names()
    except SemError as exc:
        raise click.BadParameter(str(exc), param_hint="--codecs") from None
    budget_vals = _int_list(budgets, "--budgets")
    if "sem" in names:  # refuse bad encoder settings before any model is loaded
        from ..encoder import EncoderConfig

        try:
            for b in budget_vals:
                EncoderConfig(n=n, m=m, k=k, budget_bytes=b, decoder=decoder, prompt_codec=prompt_codec).validate()
        except SemError as exc:
            raise click.UsageError(str(exc)) from None
    images = load_dataset(dataset_dir, limit=limit)
    truths = load_truths(dataset_dir)

    # Distortion models: missing weights leave columns null, never fail the run.
    scorer = Scorer()
    missing: list[tuple[str, str, MissingError]] = []
    for role, name in (("critic", critic), ("judge", judge)):
        try:
            model = load_scoring_model(name, device=device, model_dir=model_dir)
        except MissingError as exc:
            missing.append((name, role, exc))
            continue
        setattr(scorer, role, model)
        setattr(scorer, f"{role}_id", model_identity(name, model_dir))
    if missing:
        _warn(_missing_line(missing))
    metric_desc = [
        describe_model(critic, "CLIPSim critic") + ("" if scorer.critic is not None else " (weights missing: null)"),
        describe_model(judge, "judge") + ("" if scorer.judge is not None else " (weights missing: null)"),
        "PSNR over RGB jointly and SSIM per RGB channel averaged (scikit-image, 8-bit, original size)",
    ]

    codecs: list[Codec] = []
    for name in names:
        if name == "sem":
            try:
                codecs.append(build_sem_codec(critic=scorer.critic, critic_name=critic, budgets=budget_vals,
                                              decoder=decoder, describer=describer, describer_model=describer_model,
                                              prompt_codec=prompt_codec, n=n, m=m, k=k, decodes=decodes, device=device, model_dir=model_dir))
            except MissingError as exc:
                _warn(f"sem skipped: {exc}")
            continue
        cls = CODECS[name]
        ok, why = cls.available()
        if not ok:
            _warn(f"{name} skipped: {why}")
            continue
        codecs.append(cls())
    if not codecs:
        raise MissingError("no codec could run (see the lines above)")

    extra = ("torch", "open_clip_torch") if scorer.critic is not None or scorer.judge is not None else ()
    if any(isinstance(c, SemCodec) for c in codecs):
        extra = ("torch", "open_clip_torch", "diffusers", "transformers", "openai")
    report = run_rd(
        images, codecs, out_dir, scorer=scorer, cache_dir=cache_dir, progress=progress_enabled(quiet),
        describe_metrics="; ".join(metric_desc), command=_command_line(ctx), versions=_versions(extra),
        dataset_label=Path(dataset_dir).name, truths=truths,
    )
    if not quiet:
        click.echo(f"{PROG}: {len(images)} image(s), {len(codecs)} codec(s), {report.runs} run(s) made, "
                   f"{len(report.rows) - report.runs} from cache; wrote {out_dir}/summary.md", err=True)
    if report.failures:
        _warn(f"{len(report.failures)} run(s) failed; their points are null (see summary.md)")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """``sembench rd`` as a function: returns the exit code (tests call this)."""
    return run_main(rd, argv, PROG)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
