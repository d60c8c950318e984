"""The image-encoding path of semenc: load models, run the loop per image, write files."""

from __future__ import annotations

import os
import sys
import time

import click

from ..container import to_text
from ..errors import ModelUnavailableError
from ..io import atomic_write
from ..registry import DEFAULT_TEXT_MODEL, REFERENCE_TEXT_MODEL, decoder_by_name, text_model, text_model_notice
from .common import CliError, message, progress_enabled
from .image_encoder import EncodeSetup, ImageEncoder, caption_for, done_line, write_traces


def _plan_lines(config, n_images: int, describer: str, describer_model: str | None) -> tuple[list[str], float]:
    """Planned calls and their estimated cost for --dry-run."""
    spec = decoder_by_name(config.decoder)
    lines = []
    total = 0.0
    if describer == "openai":
        from ..backends.openai_common import estimate_describe_cost

        model = describer_model or DEFAULT_TEXT_MODEL
        per = estimate_describe_cost(model, config.m)
        per_refine = estimate_describe_cost(model, config.m, images=2)
        lines.append(f"{n_images} describe calls to {model} (M={config.m} prompts each, 1 image attached): "
                     f"~${per * n_images:.4f}")
        total += per * n_images
        refines = (config.n - 1) * n_images
        if refines:
            lines.append(f"{refines} refine calls to {model} ({config.n - 1} per image, M={config.m} prompts each, "
                         f"2 images attached: the original and the best render): ~${per_refine * refines:.4f}")
            total += per_refine * refines
    else:
        lines.append(f"{config.n * n_images} local describer calls ({describer}): $0")
    renders = config.n * config.k * n_images
    if spec.family == "openai":
        from ..backends.openai_image import estimate_image_cost

        per = estimate_image_cost(spec)
        lines.append(f"{renders} image generations with {spec.source} ({dict(spec.params)}): ~${per * renders:.4f}")
        total += per * renders
    else:
        lines.append(f"{renders} local renders with {spec.name}: $0")
    lines.append(f"{config.n * config.m * n_images} CLIP text scorings and {renders + n_images} CLIP image embeddings: local, $0")
    lines.append("(extra compress calls may be made for prompts over the byte budget)")
    return lines, total


def check_describer_model(describer: str, describer_model: str | None, preset: str | None,
                          today: str | None = None) -> str | None:
    """The API model to use: one past its shutdown date is refused (exit 2, naming the replacement),
    except that ``--preset reference`` falls back to the replacement and says so; one within 30 days
    warns once on stderr."""
    if describer != "openai":
        return describer_model
    model = describer_model or DEFAULT_TEXT_MODEL
    try:
        warning = text_model_notice(model, today)
    except ModelUnavailableError as exc:
        spec = text_model(model)
        if preset == "reference" and model == REFERENCE_TEXT_MODEL and spec is not None and spec.replacement:
            message(f"semenc: {exc}; the reference preset falls back to {spec.replacement}", quiet=False)
            return spec.replacement
        raise CliError(f"--describer-model: {exc}", 2) from None
    if warning:
        message(f"semenc: warning: {warning}", quiet=False)
    return describer_model


def run_encoder(*, images, outputs, config, describer, describer_model, critic, caption, captions, trace_path,
                preview_path, dry_run, device, model_dir, quiet, preset, vocab=None, html_path=None,
                executor: str = "local", workers: int = 2, address: str | None = None, as_text: bool = False) -> int:
    if vocab is not None and describer != "interrogator":
        raise CliError("--vocab is the interrogator's vocabulary: use it with --describer interrogator", 2)
    describer_model = check_describer_model(describer, describer_model, preset)
    if dry_run:
        lines, total = _plan_lines(config, len(images), describer, describer_model)
        for line in lines:
            click.echo(line)
        click.echo(f"estimated API cost: ${total:.4f} (estimate; nothing was called)")
        return 0

    from ..imageio import load_image

    # Load and check every input before any model or API call.
    loaded = []
    for path in images:
        li = load_image(path)
        for note in li.notes:
            message(f"semenc: {note}", quiet=quiet)
        loaded.append(li.image)

    for out in outputs:  # the folder of -d is made only once every input is known to be good
        folder = os.path.dirname(out) if out else ""
        if folder:
            os.makedirs(folder, exist_ok=True)
    setup = EncodeSetup(config=config, critic=critic, describer=describer, describer_model=describer_model,
                        vocab=vocab, device=device, model_dir=model_dir, preset=preset)
    spec = decoder_by_name(config.decoder)
    if describer == "openai" or spec.family == "openai":
        sent = []
        if describer == "openai":
            sent.append(f"the image, prompts and best renders go to {describer_model or DEFAULT_TEXT_MODEL}")
        if spec.family == "openai":
            sent.append(f"prompts go to {spec.source}")
        message(f"semenc: using the OpenAI API: {' and '.join(sent)}; the image is sent to OpenAI"
                if describer == "openai" else f"semenc: using the OpenAI API: {' and '.join(sent)}", quiet=False)
    if not spec.deterministic:
        message(f"semenc: {spec.name} takes no seed: files carry none, and each decode is a new picture", quiet=quiet)
    if executor == "ray":
        from .encode_batch import run_on_ray

        return run_on_ray(setup, images=list(images), loaded=loaded, outputs=list(outputs), captions=captions, caption=caption,
                          trace_path=trace_path, workers=workers, address=address, quiet=quiet)

    encoder = ImageEncoder(setup, notify=lambda line: message(line, quiet=False))
    traces = []
    show = progress_enabled(quiet)
    for path, out, img in zip(images, outputs, loaded):
        start = time.perf_counter()
        bar = click.progressbar(length=config.n, label=os.path.basename(path), file=sys.stderr) if show else None
        try:
            if bar is not None:
                bar.__enter__()
            progress = (lambda t, n: bar.update(1)) if bar is not None else None
            result = encoder.encode(img, caption_for(path, caption, captions), progress=progress)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        if out is not None:
            atomic_write(out, result.data)
        if as_text:  # the data on stdout, one line; messages stay on stderr
            click.echo(to_text(result.data))
        if preview_path is not None:
            from .semdec import save_image

            save_image(result.best_image, preview_path)
        result.trace.input = path
        result.trace.output = out
        traces.append(result.trace)
        if trace_path:  # rewritten after every image: a later failure keeps the finished images' traces
            write_traces(trace_path, traces)
        if html_path:
            write_html(html_path, path, img, result, encoder.generator)
        message(done_line(path, out if out is not None else "text on stdout", config.container, result.file_bytes,
                          result.bpp, result.best_clipsim, result.sem.seed, time.perf_counter() - start), quiet=quiet)
    return 0


def write_html(html_path: str, name: str, image, result, generator) -> None:
    """--html: the image's refinement gallery; renders re-made from the trace's text and seeds
    (exact for a seeded deterministic decoder), else only the file's own picture is shown."""
    from ..bench.html_report import build_encode_report, gallery_from_trace, rerender_gallery

    gallery = gallery_from_trace(result.trace)
    renders = rerender_gallery(gallery, generator, image.width, image.height)
    if renders is None and result.best_image is not None:
        renders = [[None] * len(r["renders"]) for r in gallery["rounds"]]
        for i, r in enumerate(gallery["rounds"]):
            if r["t"] == gallery["best_t"] and r.get("winner") is not None:
                renders[i][r["winner"]] = result.best_image
    page = build_encode_report(name=os.path.basename(name), original=image, gallery=gallery, renders=renders,
                               output=result.trace.output)
    atomic_write(html_path, page.encode("utf-8"))
