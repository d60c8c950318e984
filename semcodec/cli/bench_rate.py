"""``sembench rate``: the command over :mod:`semcodec.bench.rate`."""

from __future__ import annotations

import json

import click

from ..bench.rate import codec_timings, format_table, format_timings, load_prompts, rate_rows, summarise
from .common import run_main, sem_errors


@click.command("rate", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("corpus", required=False, metavar="[CORPUS.jsonl]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--timing", is_flag=True, help="Also time every prompt codec (load, warm encode and decode).")
@sem_errors
def rate(corpus: str | None, as_json: bool, timing: bool) -> int:
    """Prompt bytes and bits per character on a prompt corpus.

    CORPUS.jsonl holds one prompt a line as JSON ({"scene", "objects",
    "lighting", "style"}); without it, the packaged held-out prompts are used.
    """
    prompts, source = load_prompts(corpus)
    timings = codec_timings(prompts) if timing else None  # first: the first call includes loading
    summary = summarise(rate_rows(prompts), source)
    if as_json:
        data = summary.to_json()
        if timings is not None:
            data["timings"] = timings
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(format_table(summary) + (format_timings(timings) if timings is not None else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``sembench rate`` as a function: returns the exit code."""
    return run_main(rate, argv, "sembench rate")
