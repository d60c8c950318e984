"""``sembench rd``: the command over :func:`semcodec.bench.rd.run_rd`.

Parses options, refuses bad encoder settings before any model loads, loads
the scoring models (missing weights leave the CLIP columns null), builds the
codec ladder and runs it.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import replace
from pathlib import Path

import click

from ..bench.codecs import CODECS, SemCodec, default_codec_names, parse_codec_names
from ..bench.dataset import load_dataset
from ..bench.loading import RunSetup, build_run, default_judge, versions
from ..bench.rd import DEFAULT_BUDGETS, PROG, _warn, load_truths, run_rd
from ..errors import MissingError, SemError
from ..registry import (DEFAULT_CRITIC, DEFAULT_DECODER, DEFAULT_DESCRIBER, DEFAULT_PROMPT_CODEC, critic_names,
                        decoder_names, describer_names, prompt_codec_names)
from .common import device_option, model_dir_option, progress_enabled, quiet_option, run_main, sem_errors
from .loop_options import loop_size_options


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
@click.option("--html", "html", is_flag=True,
              help="Also write OUT/report.html: plot, table, images and the sem refinement gallery in one file.")
@click.option("--limit", default=None, type=click.IntRange(1), help="Use only the first N images (sorted by name).")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the work runs: this process, or Ray workers (images spread over them; pip install 'semcodec[ray]').")
@click.option("--address", default=None, metavar="ADDR",
              help="ray: the cluster to join (e.g. ray://head:10001 or auto); default: a local cluster of --workers CPUs.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 4096),
              help="ray: worker actors, each loading the models once (one GPU each with --device cuda).")
@quiet_option
@sem_errors
def rd(dataset_dir: str, codec_list: str | None, out_dir: str, cache_dir: str | None, critic: str, judge: str,
       model_dir: str | None, device: str | None, decodes: int, budgets: str, decoder: str, describer: str,
       describer_model: str | None, prompt_codec: str, n: int, m: int, k: int, html: bool, limit: int | None,
       executor: str, address: str | None, workers: int, quiet: bool) -> int:
    """Rate-distortion benchmark of the codec ladder over the images in DATASET_DIR.

    Writes <codec>.json, per_image.csv, summary.md, rd.png (and iterations.png
    when sem ran) into --out, and prints one line per codec point on stdout
    (bpp, mean bytes, CLIPSim, judge, and oracle F1 for a data set with true prompts).  Without CLIP weights the CLIP columns are null.
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
    setup = RunSetup(codec_names=tuple(names), critic=critic, judge=judge, model_dir=model_dir, device=device,
                     budgets=tuple(budget_vals), decoder=decoder, describer=describer, describer_model=describer_model,
                     prompt_codec=prompt_codec, n=n, m=m, k=k, decodes=decodes)
    wall0 = time.perf_counter()
    runner = None
    if executor == "ray":  # without Ray: exit 4 with the install command, before any model loads
        from ..bench.executor import RayExecutor

        runner = RayExecutor(setup, workers=workers, address=address)  # workers build their models meanwhile
    try:  # with Ray the driver's models only plan (cache keys, descriptions): on the CPU, whatever --device says,
        # so a head node without the workers' GPUs can drive them (the device is not part of any key)
        built = build_run(replace(setup, device="cpu") if runner is not None else setup)
    except BaseException:
        if runner is not None:
            runner.close()
        raise
    for line in built.warnings:
        _warn(line)
    scorer, codecs, metric_desc = built.scorer, built.codecs, built.metric_desc
    if not codecs:
        if runner is not None:
            runner.close()
        raise MissingError("no codec could run (see the lines above)")

    extra = ("torch", "open_clip_torch") if scorer.critic is not None or scorer.judge is not None else ()
    if any(isinstance(c, SemCodec) for c in codecs):
        extra = ("torch", "open_clip_torch", "diffusers", "transformers", "openai")
    try:
        report = run_rd(
            images, codecs, out_dir, scorer=scorer, cache_dir=cache_dir, progress=progress_enabled(quiet),
            describe_metrics="; ".join(metric_desc), command=_command_line(ctx), versions=versions(extra),
            dataset_label=Path(dataset_dir).name, truths=truths, executor=runner, html=html,
        )
    finally:
        if runner is not None:
            runner.close()
    wall = time.perf_counter() - wall0
    from ..bench.report import text_table

    click.echo(text_table(report.table))  # the data on stdout, the messages on stderr
    if not quiet:
        click.echo(f"{PROG}: {len(images)} image(s), {len(codecs)} codec(s), {report.runs} run(s) made, "
                   f"{len(report.rows) - report.runs} from cache, executor {executor}"
                   f"{f' ({workers} workers)' if executor == 'ray' else ''}: {wall:.1f} s wall (models included), "
                   f"{report.work_s:.1f} s of it measuring; "
                   f"wrote {out_dir}/summary.md", err=True)
    if report.failures:
        _warn(f"{len(report.failures)} run(s) failed; their points are null (see summary.md)")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """``sembench rd`` as a function: returns the exit code (tests call this)."""
    return run_main(rd, argv, PROG)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
