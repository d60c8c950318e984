"""seminfo: show what a .sem file holds (header and prompt)."""

from __future__ import annotations

import json
import sys

import click

from ..container import read, read_packet
from ..errors import SemError
from .common import CliError, read_text_form, run_main, sem_errors, version_option


def _human(path: str, sem, size: int, packet: bool = False) -> str:
    p = sem.prompt
    det = "deterministic" if sem.decoder.deterministic else "non-deterministic"
    form = "v2 packet" if packet else f".sem v{sem.version}"
    lines = [
        f"{path}: {form}, {size} bytes, {sem.bpp(size):.5f} bpp at {sem.width}x{sem.height}",
        f"  decoder       {sem.decoder.name} (id {sem.decoder.id}, {det})",
        f"  prompt codec  {sem.prompt_codec.name} (id {sem.prompt_codec.id})",
        f"  seed          {sem.seed if sem.seed is not None else 'none'}",
        f"  scene         {p.scene}",
        "  objects       " + ("(none)" if not p.objects else ("\n" + " " * 16).join(p.objects)),
        f"  lighting      {p.lighting or '(none)'}",
        f"  style         {p.style if p.style is not None else '(none)'}",
        f"  text          {p.text()}",
    ]
    return "\n".join(lines)


def _emit(text: str) -> None:
    """One record on stdout as UTF-8 bytes, whatever the text layer's encoding.

    JSON is UTF-8 by definition and prompts may hold any character, so a
    latin-1 or ASCII stdout must not turn a good file into an encoding error.
    A file name from the command line keeps its original bytes (surrogateescape).
    """
    out = sys.stdout
    if out is None:  # started with fd 1 closed
        raise SemError("standard output is closed")
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # a text-only stream (no bytes layer): let it encode
        out.write(text + "\n")
        out.flush()
        return
    out.flush()  # anything already written through the text layer goes first
    buffer.write((text + "\n").encode("utf-8", "surrogateescape"))
    buffer.flush()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("files", nargs=-1, metavar="FILE.sem...")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (spec section 5), one per line.")
@click.option("--packet", is_flag=True, help="The inputs are v2 packets (no magic, no CRC); a packet cannot be recognised by itself.")
@click.option("--text", "text", default=None, metavar="TEXT",
              help="Read this text form (unpadded base64url of a file, or of a packet with --packet; '-' reads a line "
                   "from stdin) instead of FILE.sem.")
@version_option("seminfo")
@sem_errors
def seminfo(files: tuple[str, ...], as_json: bool, packet: bool, text: str | None) -> None:
    """Print the header and prompt of .sem files, v1 or v2 ("-" reads stdin).

    Exit codes: 0 ok, 2 usage, 3 invalid file, 4 missing backend, 1 other.
    """
    if text is not None and files:
        raise CliError("give FILE.sem... or --text TEXT, not both", 2)
    if text is None and not files:
        raise CliError("missing FILE.sem... (or --text TEXT)", 2)
    inputs = [("text", lambda: read_text_form(text, packet))] if text is not None else [
        (path, lambda path=path: (read_packet if packet else read)(path)) for path in files]
    for path, load in inputs:
        sem, size = load()
        if as_json:
            doc = sem.to_json(size)
            if packet:
                doc["packet"] = True
            _emit(json.dumps(doc, ensure_ascii=False))
        else:
            _emit(_human(path, sem, size, packet))


def main(argv: list[str] | None = None) -> int:
    return run_main(seminfo, argv, "seminfo")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
