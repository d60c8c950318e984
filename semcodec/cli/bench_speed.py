"""``sembench speed``: the command over :func:`semcodec.bench.speed.run_speed`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from ..bench.speed import DEFAULT_COMPARE, DEFAULT_STEPS, LOCAL_DECODERS, MAX_STEPS, format_table, run_speed
from ..encoder_config import EncoderConfig
from ..registry import DEFAULT_CRITIC, DEFAULT_DECODER, critic_names
from .common import device_option, message, quiet_option, run_main, sem_errors
from .loop_options import loop_size_options


def _parse_steps(value: str) -> tuple[int, ...]:
    try:
        out = tuple(int(x) for x in value.split(",") if x.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma list of integers") from None
    if not out or any(not 1 <= s <= MAX_STEPS for s in out):
        raise click.BadParameter(f"step counts must be 1..{MAX_STEPS}")
    return out


def _parse_compare(value: str | None, decoder: str) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_COMPARE.get(decoder, ())
    if value.strip().lower() in ("", "none"):
        return ()
    names = tuple(x.strip() for x in value.split(",") if x.strip())
    bad = [x for x in names if x not in LOCAL_DECODERS or x == decoder]
    if bad:
        raise click.BadParameter(f"{', '.join(bad)}: --compare takes local decoders other than --decoder "
                                 f"({', '.join(LOCAL_DECODERS)})", param_hint="--compare")
    return names



@click.command("speed", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--model-dir", default=None, type=click.Path(file_okay=False),
              help="Folder of model weights, DIR/<name>/ (env SEMCODEC_MODEL_DIR).", envvar="SEMCODEC_MODEL_DIR")
@click.option("--build", "build_dir", default=None, type=click.Path(file_okay=False), metavar="DIR",
              help="First write the real architectures with RANDOM weights into DIR (~5.8 GB; kept if already "
                   "there) and time those.")
@device_option
@click.option("--decoder", type=click.Choice(LOCAL_DECODERS), default=DEFAULT_DECODER, show_default=True)
@click.option("--critic", type=click.Choice(critic_names()), default=DEFAULT_CRITIC, show_default=True)
@loop_size_options()
@click.option("--size", default=None, type=click.IntRange(8, 2048),
              help="Render and input size in pixels (default: the decoder's native size).")
@click.option("--repeats", default=1, show_default=True, type=click.IntRange(1, 100),
              help="Runs of each timed section (medians shown, all runs in the JSON).")
@click.option("--steps", "steps_text", default=DEFAULT_STEPS, show_default=True, metavar="LIST",
              help="Step counts for the render-alone timings.")
@click.option("--compare", "compare_text", default=None, metavar="LIST",
              help="Local decoders to time in the same run (decode and render split, ratio to --decoder); "
                   "default sd-turbo-taesd when --decoder is sd-turbo, 'none' for none.")
@click.option("--cpu-settings", "cpu_settings", is_flag=True,
              help="Also time one render under each CPU setting (threads, grad mode, channels-last, bf16) "
                   "with the compared decoder (or --decoder), pixels checked against the registry setting.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of the table.")
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False),
              help="Also write the JSON report to this file.")
@quiet_option
@sem_errors
def speed(model_dir: str | None, build_dir: str | None, device: str | None, decoder: str, critic: str, n: int,
          m: int, k: int, size: int | None, repeats: int, steps_text: str, compare_text: str | None,
          cpu_settings: bool, as_json: bool, out_path: str | None, quiet: bool) -> int:
    """Time encode and decode through the production code (load, warm-up, encode, decode, renders)."""
    EncoderConfig(n=n, m=m, k=k, decoder=decoder).validate()  # bad loop sizes: exit 2, before any model is built
    steps = _parse_steps(steps_text)
    compare = _parse_compare(compare_text, decoder)
    if build_dir is not None:
        if model_dir is not None and Path(model_dir).resolve() != Path(build_dir).resolve():
            raise click.UsageError("give --build DIR or --model-dir DIR (or the same DIR to both)")
        from ..bench.random_weights import SUPPORTED, build_real_arch

        which = tuple(w for w in (decoder, critic, *compare) if w in SUPPORTED)
        if len(which) != 2 + len(compare):
            raise click.UsageError(f"--build knows only {', '.join(SUPPORTED)}")
        message(f"building {', '.join(which)} (real architecture, random weights) in {build_dir}", quiet=quiet)
        start = time.perf_counter()
        build_real_arch(build_dir, which=which)
        message(f"built in {time.perf_counter() - start:.1f} s", quiet=quiet)
        model_dir = build_dir
    if model_dir is None:
        raise click.UsageError("--model-dir DIR (or --build DIR) is required")
    report = run_speed(model_dir=model_dir, device=device, decoder=decoder, critic=critic, n=n, m=m, k=k,
                       size=size, repeats=repeats, steps=steps, compare=compare, settings=cpu_settings,
                       notify=None if quiet else (lambda line: message(line)))
    text = json.dumps(report, indent=2, default=str)
    if out_path is not None:
        from ..io import atomic_write

        atomic_write(out_path, (text + "\n").encode("utf-8"))
    click.echo(text if as_json else format_table(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(speed, argv, "sembench speed")

