"""The image-encoding path of semenc: load models, run the loop per image, write files."""

from __future__ import annotations

import json
import os
import time

import click

from ..errors import ModelUnavailableError, SemError
from ..io import atomic_write
from ..registry import decoder_by_name
from .common import message, progress_enabled

# The substitute when an endpoint no longer serves the preset's DALL-E 3.
REFERENCE_SUBSTITUTE = "gpt-image-2"


def _plan_lines(config, n_images: int, describer: str, describer_model: str | None) -> tuple[list[str], float]:
    """Planned calls and their estimated cost for --dry-run."""
    spec = decoder_by_name(config.decoder)
    lines = []
    total = 0.0
    if describer == "openai":
        from ..backends.openai_common import estimate_describe_cost

        model = describer_model or "gpt-4.1-mini"
        per = estimate_describe_cost(model, config.m)
        calls = config.n * n_images
        lines.append(f"{calls} chat-completion calls to {model} (1 describe + {config.n - 1} refine per image, "
                     f"M={config.m} prompts each, image attached): ~${per * calls:.4f}")
        total += per * calls
    else:
        lines.append(f"{config.n * n_images} local describer calls ({describer}): $0")
    renders = config.n * config.k * n_images
    if spec.family == "openai":
        from ..backends.openai_common import estimate_image_cost

        per = estimate_image_cost(spec)
        lines.append(f"{renders} image generations with {spec.source} ({dict(spec.params)}): ~${per * renders:.4f}")
        total += per * renders
    else:
        lines.append(f"{renders} local renders with {spec.name}: $0")
    lines.append(f"{config.n * config.m * n_images} CLIP text scorings and {renders + n_images} CLIP image embeddings: local, $0")
    lines.append("(extra compress calls may be made for prompts over the byte budget)")
    return lines, total


def run_encoder(*, images, outputs, config, describer, describer_model, critic, caption, captions, trace_path,
                preview_path, dry_run, device, model_dir, quiet, preset) -> int:
    if dry_run:
        lines, total = _plan_lines(config, len(images), describer, describer_model)
        for line in lines:
            click.echo(line)
        click.echo(f"estimated API cost: ${total:.4f} (estimate; nothing was called)")
        return 0

    from ..backends import load_critic, load_describer, load_generator
    from ..encoder import encode_image
    from ..imageio import load_image

    # Load and check every input before any model or API call.
    loaded = []
    for path in images:
        li = load_image(path)
        for note in li.notes:
            message(f"semenc: {note}", quiet=quiet)
        loaded.append(li.image)

    spec = decoder_by_name(config.decoder)
    api_notice = describer == "openai" or spec.family == "openai"
    crit = load_critic(critic, device=device, model_dir=model_dir)
    gen = load_generator(spec, device=device, model_dir=model_dir)
    desc = load_describer(describer, model=describer_model, device=device, model_dir=model_dir)
    if api_notice:
        what = "the image and prompts are" if describer == "openai" else "prompts are"
        message(f"semenc: {what} sent to OpenAI ({'describer ' + (describer_model or 'gpt-4.1-mini') if describer == 'openai' else ''}"
                f"{' / ' if describer == 'openai' and spec.family == 'openai' else ''}{spec.source if spec.family == 'openai' else ''})",
                quiet=False)
    if not spec.deterministic:
        message(f"semenc: {spec.name} takes no seed: files carry none, and each decode is a new picture", quiet=quiet)

    traces = []
    show = progress_enabled(quiet)
    for path, out, img in zip(images, outputs, loaded):
        cap = caption if caption is not None else captions.get(os.path.basename(path), captions.get(path))
        config.caption = cap
        start = time.perf_counter()
        bar = click.progressbar(length=config.n, label=os.path.basename(path), file=None) if show else None
        try:
            if bar is not None:
                bar.__enter__()
            progress = (lambda t, n: bar.update(1)) if bar is not None else None
            try:
                result = encode_image(img, config=config, critic=crit, generator=gen, describer=desc, progress=progress)
            except ModelUnavailableError as exc:
                if preset != "reference" or spec.name != "dalle3":
                    raise
                message(f"semenc: {exc}; the reference preset falls back to {REFERENCE_SUBSTITUTE}", quiet=False)
                config.decoder = REFERENCE_SUBSTITUTE
                spec = decoder_by_name(REFERENCE_SUBSTITUTE)
                gen = load_generator(spec, device=device, model_dir=model_dir)
                result = encode_image(img, config=config, critic=crit, generator=gen, describer=desc, progress=progress)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        atomic_write(out, result.data)
        if preview_path is not None:
            from .semdec import save_image

            save_image(result.best_image, preview_path)
        result.trace["input"] = path
        result.trace["output"] = out
        traces.append(result.trace)
        seed = "no seed" if result.sem.seed is None else f"seed {result.sem.seed}"
        message(
            f"semenc: {path} -> {out}: {result.file_bytes} bytes, {result.bpp:.5f} bpp, "
            f"CLIPSim {result.best_clipsim:.4f}, {seed}, {time.perf_counter() - start:.1f} s",
            quiet=quiet,
        )
    if trace_path:
        doc = {"semcodec_trace": 1, "images": traces}
        atomic_write(trace_path, json.dumps(doc, indent=1, ensure_ascii=False, default=str).encode("utf-8"))
    return 0
