"""semdec: .sem files -> images."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..container import read, read_packet
from ..registry import decoder_by_name, decoder_names
from .common import CliError, read_text_form, output_paths, device_option, message, model_dir_option, quiet_option, run_main, sem_errors, version_option

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def save_image(image, path: str) -> None:
    """Write an image atomically, the format from the extension."""
    from ..io import atomic_write

    ext = Path(path).suffix.lower()
    if ext not in IMAGE_EXTENSIONS:
        raise CliError(f"{path}: unknown image extension {ext or '(none)'}; use one of {', '.join(sorted(IMAGE_EXTENSIONS))}", 2)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}.get(ext, ext[1:].upper())
    atomic_write(path, lambda tmp: image.save(tmp, format=fmt))


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("files", nargs=-1, metavar="FILE.sem...")
@click.option("-o", "--output", metavar="OUT", help="Output image (one input); the format comes from the extension.")
@click.option("-d", "--outdir", metavar="DIR", help="Output folder for several files (DIR/<stem>.<format>).")
@click.option("--format", "fmt", default="png", show_default=True, help="Image format with -d (png, jpg, webp...).")
@click.option("--decoder", type=click.Choice(decoder_names()), default=None,
              help="Render with this decoder instead of the file's own (only the file's own deterministic decoder reproduces the encoder's picture).")
@click.option("--packet", is_flag=True, help="The inputs are v2 packets (spec/sem-v2.md section 7), not .sem files.")
@click.option("--text", "text", default=None, metavar="TEXT",
              help="Decode this text form (unpadded base64url of a file, or of a packet with --packet; '-' reads a line "
                   "from stdin) instead of FILE.sem; needs -o.")
@device_option
@model_dir_option
@quiet_option
@version_option("semdec")
@sem_errors
def semdec(files, output, outdir, fmt, decoder, packet, text, device, model_dir, quiet):
    """Decode .sem files into images with the file's decoder (or --decoder).

    \b
      semdec photo.sem -o photo.png
      semdec a.sem b.sem -d out/ --model-dir ~/models
      semdec --packet p.semp -o p.png
      semdec --text 9ROBAAI50DkYmw -o cat.png

    The image is rendered at the decoder's native size and then scaled to
    cover the stored width x height and centre-cropped (spec section 8).
    Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid file, 4 missing backend/model/API key.
    """
    if text is not None:
        if files:
            raise CliError("give FILE.sem... or --text TEXT, not both", 2)
        if not output:
            raise CliError("--text needs -o OUT", 2)
    elif not files:
        raise CliError("missing FILE.sem... (or --text TEXT)", 2)
    names = ["text"] if text is not None else list(files)
    outs = output_paths(names, output, outdir, f".{fmt.lstrip('.')}", "files")
    for out in outs:
        if Path(out).suffix.lower() not in IMAGE_EXTENSIONS:
            raise CliError(f"{out}: unknown image extension; use one of {', '.join(sorted(IMAGE_EXTENSIONS))}", 2)
    # Parse every file first: a bad file fails before any model loads or any folder is made.
    if text is not None:
        sems = [read_text_form(text, packet)[0]]
    else:
        sems = [(read_packet if packet else read)(f)[0] for f in files]
    if outdir:
        try:
            os.makedirs(outdir, exist_ok=True)
        except OSError as exc:
            raise CliError(f"{outdir}: cannot create the output folder: {exc.strerror or exc}") from None
    from ..backends import load_generator
    from ..decoder import decode_image

    generators: dict[int, object] = {}
    for path, sem, out in zip(names, sems, outs):
        spec = decoder_by_name(decoder) if decoder else sem.decoder
        if spec.id not in generators:
            generators[spec.id] = load_generator(spec, device=device, model_dir=model_dir)
        result = decode_image(sem, generators[spec.id])
        save_image(result.image, out)
        message(f"semdec: {path} -> {out} ({sem.width}x{sem.height}): {result.note}", quiet=quiet)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(semdec, argv, "semdec")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
