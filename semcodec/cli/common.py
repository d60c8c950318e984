"""Shared pieces of the command-line tools: error mapping, options, output.

Data goes to stdout, messages to stderr.  Library errors (`SemError`) become
one line on stderr and the exit code the README documents; no traceback.
"""

from __future__ import annotations

import functools
import re
import sys
from typing import Callable

import click

from .._version import __version__
from ..errors import EXIT_FAILURE, SemError


class CliError(click.ClickException):
    """A ClickException carrying semcodec's exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        ctx = click.get_current_context(silent=True)
        self.prog = ctx.command_path if ctx else "semcodec"

    def show(self, file=None) -> None:  # one line, no "Error: " doubling
        click.echo(f"{self.prog}: error: {self.format_message()}", err=True)


def sem_errors(func: Callable) -> Callable:
    """Turn SemError (and a few OS-level failures) into CliError at the command edge."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SemError as exc:
            raise CliError(str(exc), exc.exit_code) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise SystemExit(EXIT_FAILURE) from None

    return wrapper


def version_option(prog: str):
    return click.version_option(__version__, "--version", prog_name=prog, message="%(prog)s (semcodec) %(version)s")


def quiet_option(func):
    return click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary lines on stderr.")(func)


def device_option(func):
    return click.option(
        "--device", default=None, metavar="DEVICE", help="cuda, mps or cpu (default: the best available)."
    )(func)


def model_dir_option(func):
    return click.option(
        "--model-dir",
        envvar="SEMCODEC_MODEL_DIR",
        default=None,
        type=click.Path(file_okay=False),
        help="Folder of local model weights, DIR/<model-name>/ (env SEMCODEC_MODEL_DIR).",
    )(func)


def message(text: str, *, quiet: bool = False) -> None:
    if not quiet:
        click.echo(text, err=True)


def progress_enabled(quiet: bool) -> bool:
    """Progress bars only on an interactive terminal and never with --quiet."""
    return not quiet and sys.stderr.isatty()


def run_main(command: click.Command, argv: list[str] | None, prog: str) -> int:
    """Call a click command as ``main(argv)``: returns the exit code, never raises SystemExit."""
    try:
        rv = command.main(args=argv, prog_name=prog, standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:  # a bare group: its help, as click shows it
        exc.show()
        return exc.exit_code
    except click.UsageError as exc:
        click.echo(usage_line(exc, prog), err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo(f"{prog}: aborted", err=True)
        return 1
    return rv if isinstance(rv, int) else 0


def usage_line(exc: click.UsageError, prog: str) -> str:
    """A usage error as one line: ``prog: error: <what> (see 'prog --help')``.

    click's own form is three lines (usage, a hint, the error); a user who
    scripts the tools greps one line, as for every other error.
    """
    path = exc.ctx.command_path if exc.ctx is not None else prog
    text = " ".join(exc.format_message().split())
    return f"{path}: error: {text} (see '{path} --help')"


_SIZE_RE = re.compile(r"([1-9][0-9]*)[xX]([1-9][0-9]*)", re.ASCII)


def parse_size(value: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT``: ASCII digits without sign, spaces, underscores or leading zeros."""
    from ..container import MAX_DIMENSION

    m = _SIZE_RE.fullmatch(value)
    if m is None:
        raise click.BadParameter(f"{value!r} is not WIDTHxHEIGHT, e.g. 512x512")
    w, h = m.groups()
    if len(w) > 5 or len(h) > 5:  # far out of range; never hand int() a huge string
        raise click.BadParameter(f"width and height must be 1..{MAX_DIMENSION}")
    width, height = int(w), int(h)
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise click.BadParameter(f"width and height must be 1..{MAX_DIMENSION}")
    return width, height


def output_paths(inputs, output: str | None, outdir: str | None, suffix: str, what: str) -> list[str]:
    """One output per input: ``-o OUT`` for a single input, else ``OUTDIR/<stem><suffix>``.

    Usage errors (exit 2) for both or neither of -o/-d, -o with several inputs,
    and two inputs whose outputs would collide.  Creates no folder.
    """
    if output and outdir:
        raise CliError("give either -o OUT or -d OUTDIR, not both", 2)
    if output:
        if len(inputs) > 1:
            raise CliError(f"several {what} need -d OUTDIR (one output each)", 2)
        return [output]
    if not outdir:
        raise CliError("missing -o OUT (one input) or -d OUTDIR", 2)
    from pathlib import Path

    names = [Path(p).stem + suffix for p in inputs]
    if len(set(names)) != len(names):
        raise CliError(f"two input {what} share a file name stem; their outputs would collide", 2)
    import os

    return [os.path.join(outdir, n) for n in names]


def read_text_form(value: str, packet: bool):
    """``--text STRING`` (``-`` reads one line from stdin): (SemFile, byte count), or FormatError (exit 3).

    Only the line's terminator is taken off stdin; the text itself is strict base64url
    (spec/sem-v2.md 7.4), so a space or padding inside it is an error, not skipped."""
    from ..container import MAX_PACKET_TEXT_CHARS, MAX_TEXT_CHARS, decode_text
    from ..errors import FormatError

    if value == "-":
        from ..io import read_bounded

        raw = read_bounded("-", (MAX_PACKET_TEXT_CHARS if packet else MAX_TEXT_CHARS) + 2, what="text form")
        if raw.endswith(b"\r\n"):
            raw = raw[:-2]
        elif raw.endswith(b"\n"):
            raw = raw[:-1]
        try:
            value = raw.decode("ascii")
        except UnicodeDecodeError:
            raise FormatError("-: not base64url text (a non-ASCII byte)") from None
    return decode_text(value, packet=packet)
