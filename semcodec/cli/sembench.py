"""sembench: benchmarks (a command group; subcommands load lazily)."""

from __future__ import annotations

import importlib

import click

from .common import run_main, version_option

# name -> (module, attribute); modules import only when the subcommand runs.
SUBCOMMANDS = {
    "rate": ("semcodec.cli.bench_rate", "rate"),
    "rd": ("semcodec.cli.bench_rd", "rd"),
    "speed": ("semcodec.cli.bench_speed", "speed"),
}
SHORT_HELP = {
    "rate": "Prompt bytes and bits per character on a prompt corpus.",
    "rd": "Rate-distortion benchmark on a folder of images.",
    "speed": "Encode/decode wall-clock timings on local models.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx, name):
        if name not in SUBCOMMANDS:
            return None
        module, attr = SUBCOMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):  # help without importing subcommands
        with formatter.section("Commands"):
            formatter.write_dl([(name, SHORT_HELP[name]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@version_option("sembench")
def sembench() -> None:
    """Benchmarks: `rate` (prompt bytes on a prompt corpus), `rd` (rate-distortion on images),
    `speed` (encode/decode seconds)."""


def main(argv: list[str] | None = None) -> int:
    return run_main(sembench, argv, "sembench")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
