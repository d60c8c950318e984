"""semenc: image(s) -> .sem files (CLIP-guided refinement), or a given prompt -> .sem."""

from __future__ import annotations

import json

import click

from ..container import FORM_SUFFIX, SemFile, encode_form, form_label, form_of, to_text
from ..errors import BudgetError, InputError, PromptError
from ..io import atomic_write, read_bounded
from ..prompt import Prompt
from ..registry import (
    DEFAULT_CRITIC,
    DEFAULT_DECODER,
    DEFAULT_PROMPT_CODEC,
    DEFAULT_TEXT_MODEL,
    REFERENCE_TEXT_MODEL,
    critic_names,
    decoder_by_name,
    decoder_names,
    describer_names,
    prompt_codec_names,
)
from .loop_options import loop_size_options
from .common import (
    CliError,
    device_option,
    message,
    model_dir_option,
    output_paths,
    parse_size,
    quiet_option,
    run_main,
    sem_errors,
    version_option,
)

# --preset reference: the reference system's configuration (README "Presets").
REFERENCE_PRESET = {
    "describer": "openai",
    "describer_model": REFERENCE_TEXT_MODEL,
    "n": 4,
    "m": 3,
    "k": 4,
    "budget": None,
    "max_text_bytes": 600,
    "decoder": "dalle3",
}
MAX_PROMPT_JSON_BYTES = 64 * 1024


def _encode_prompt_file(prompt_path, output, seed, size, decoder, prompt_codec, quiet, form="v2", text=False):
    raw = read_bounded(prompt_path, MAX_PROMPT_JSON_BYTES, what="prompt JSON file")
    try:
        prompt = Prompt.from_json(raw)
    except PromptError as exc:
        raise PromptError(f"{prompt_path}: {exc}") from None
    spec = decoder_by_name(decoder)
    if not spec.deterministic:
        if seed is not None:
            raise CliError(f"--seed: {decoder} takes no seed (non-deterministic decoder)", 2)
        message(f"semenc: {decoder} takes no seed: the file carries none", quiet=quiet)
    elif seed is None:
        seed = 0
    _check_token_limit(prompt, spec, prompt_path, quiet)
    width, height = size
    sem = SemFile.create(prompt, decoder=decoder, prompt_codec=prompt_codec, seed=seed, width=width, height=height,
                         version=1 if form == "v1" else 2)
    data = encode_form(sem, form)
    if output:
        atomic_write(output, data)
    if text:
        click.echo(to_text(data))
    where = output if output else "text on stdout"
    message(f"semenc: {where}: {form_label(form)}, {len(data)} bytes, {sem.bpp(len(data)):.5f} bpp at {width}x{height}",
            quiet=quiet)


def _check_token_limit(prompt: Prompt, spec, prompt_path: str, quiet: bool) -> None:
    """Refuse a prompt the decoder's text encoder would have to truncate (no model needed:
    the SD family's tokenizer is CLIP's BPE, which open_clip ships)."""
    if spec.token_limit is None:
        return
    from ..tokens import clip_token_count

    tokens = clip_token_count(prompt.text())
    if tokens is None:
        message(f"semenc: cannot check {spec.name}'s {spec.token_limit}-token limit without the 'local' extra "
                "(pip install 'semcodec[local]'); semdec will refuse a longer prompt", quiet=quiet)
        return
    if tokens > spec.token_limit:
        raise BudgetError(f"{prompt_path}: the prompt is {tokens} tokens, {spec.name} reads at most "
                          f"{spec.token_limit}; shorten it (semdec would refuse it rather than truncate)")


def _load_captions(path: str | None) -> dict[str, str]:
    if path is None:
        return {}
    raw = read_bounded(path, 16 * 1024 * 1024, what="captions JSON file")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not valid JSON ({str(exc) or 'nested too deeply'})") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise InputError(f"{path}: captions must be a JSON object mapping file names to caption strings")
    return data


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("images", nargs=-1, metavar="IMAGE...")
@click.option("-o", "--output", metavar="OUT", help="Output .sem file (one input); '-' is stdout with --prompt.")
@click.option("-d", "--outdir", metavar="DIR", help="Output folder for several images (DIR/<stem>.sem).")
@click.option("--prompt", "prompt_path", metavar="PROMPT.json", help="Encode this structured prompt; no model runs. '-' is stdin.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="With --prompt: the seed stored (default 0).")
@click.option("--size", default="512x512", metavar="WxH", help="With --prompt: the original size stored (default 512x512).")
@click.option("--decoder", type=click.Choice(decoder_names()), default=None, help=f"Decoder (default {DEFAULT_DECODER}).")
@click.option("--prompt-codec", type=click.Choice(prompt_codec_names()), default=DEFAULT_PROMPT_CODEC, show_default=True)
@click.option("--format-version", type=click.Choice(["1", "2"]), default=None,
              help="Container version: 2 (default; spec/sem-v2.md, 6 bytes of overhead) or 1 (spec/sem-v1.md, 16); the budget counts it.")
@click.option("--packet", is_flag=True,
              help="Write the v2 packet form (no magic, no CRC; for a transport that checks integrity); -d writes .semp.")
@click.option("--text", "as_text", is_flag=True,
              help="Also print the file (the packet with --packet) as one line of unpadded base64url on stdout; "
                   "-o is then optional (spec/sem-v2.md 7.4). One input only.")
@loop_size_options(defaults=False)
@click.option("--budget", type=click.IntRange(16, 4096), default=None, help="Whole-file byte budget (default 160).")
@click.option("--patience", type=click.IntRange(1, 64), default=None, metavar="R",
              help="Stop early when the best has not improved for R rounds (default: run all N).")
@click.option("--no-budget", is_flag=True, help="No whole-file budget (the --max-text-bytes cap and token limit still apply).")
@click.option("--max-text-bytes", type=click.IntRange(8, 1024), default=None, help="Cap on the canonical prompt text, in UTF-8 bytes.")
@click.option("--describer", type=click.Choice(describer_names()), default=None,
              help="Describer/refiner: 'openai' (API), 'local-vlm', 'interrogator' (CLIP only) or 'world-seer' "
              "(the synthetic world's image reader) (default openai).")
@click.option("--describer-model", default=None,
              help=f"Model for the API describer (default {DEFAULT_TEXT_MODEL}); for the interrogator, the critic it scores with.")
@click.option("--vocab", default=None, metavar="NAME|FILE",
              help="Interrogator vocabulary: 'photo', 'world' or a JSON file (default photo; world for world-* critics).")
@click.option("--critic", type=click.Choice(critic_names()), default=DEFAULT_CRITIC, show_default=True,
              help="CLIP critic registry name.")
@click.option("--caption", default=None, help="Initial caption given to the describer (one image).")
@click.option("--captions", "captions_path", default=None, metavar="FILE.json", help="JSON object: image file name -> caption.")
@click.option("--preset", type=click.Choice(["reference"]), default=None, help=f"reference: {REFERENCE_TEXT_MODEL}, N=4 M=3 K=4, text <= 600 bytes, DALL-E 3.")
@click.option("--preview", "preview_path", default=None, metavar="IMAGE",
              help="Also save the picture the encoder chose (what a receiver decodes with a seeded decoder); one input only.")
@click.option("--trace", "trace_path", default=None, metavar="FILE.json", help="Write the refinement trace (schema: spec/trace.md).")
@click.option("--html", "html_path", default=None, metavar="FILE.html",
              help="Write the refinement gallery (rounds, candidates, renders, winner) as one self-contained HTML file; one input only.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default=None,
              help="Where images are encoded: this process (default), or Ray workers that load the models once "
              "(pip install 'semcodec[ray]').")
@click.option("--address", default=None, metavar="ADDR",
              help="ray: the cluster to join (e.g. ray://head:10001 or auto); default: a local cluster of --workers CPUs.")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="ray: worker actors, each loading the models once (one GPU each with --device cuda; default 2).")
@click.option("--dry-run", is_flag=True, help="Print the planned model calls and estimated API cost; call nothing.")
@click.option("--max-cost", type=float, default=None, metavar="USD", help="Stop before the estimated API spend exceeds this.")
@device_option
@model_dir_option
@quiet_option
@version_option("semenc")
@sem_errors
def semenc(images, output, outdir, prompt_path, seed, size, decoder, prompt_codec, format_version, packet, as_text, n, m, k, budget, patience, no_budget,
           max_text_bytes, describer, describer_model, vocab, critic, caption, captions_path, preset, preview_path, trace_path, dry_run,
           max_cost, html_path, executor, address, workers, device, model_dir, quiet):
    """Encode images into .sem files by CLIP-guided prompt refinement.

    \b
      semenc photo.jpg -o photo.sem
      semenc a.jpg b.png -d out/
      semenc data/*.png -d out/ --executor ray --workers 4
      semenc --prompt prompt.json -o p.sem --seed 3 --size 768x512
      semenc --prompt prompt.json -o p.sem --format-version 1
      semenc --prompt prompt.json -o p.semp --packet
      semenc photo.jpg -o photo.sem --format-version 1
      semenc photo.jpg --text --packet

    Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 4 missing backend/model/API key.
    """
    if prompt_path is not None:
        if images:
            raise CliError("--prompt encodes a given prompt; do not pass images as well", 2)
        image_only = {"-n": n, "-m": m, "-k": k, "--budget": budget, "--patience": patience, "--no-budget": no_budget or None,
                      "--max-text-bytes": max_text_bytes, "--describer": describer, "--describer-model": describer_model,
                      "--vocab": vocab, "--caption": caption, "--captions": captions_path, "--preset": preset, "--trace": trace_path, "--html": html_path,
                      "--preview": preview_path, "--dry-run": dry_run or None, "--max-cost": max_cost, "-d": outdir,
                      "--executor": executor, "--address": address, "--workers": workers}
        given = [flag for flag, v in image_only.items() if v is not None]
        if given:
            raise CliError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to encoding images, not to --prompt", 2)
    if packet and format_version == "1":
        raise CliError("--packet is the v2 packet form; it cannot be --format-version 1", 2)
    form = form_of(int(format_version) if format_version else None, packet)
    if as_text and output == "-":
        raise CliError("--text prints to stdout; -o - would write the file there too (give -o FILE or no -o)", 2)
    if prompt_path is not None:
        if not output and not as_text:
            raise CliError("--prompt needs -o OUT (or --text)", 2)
        _encode_prompt_file(prompt_path, output, seed, parse_size(size), decoder or DEFAULT_DECODER, prompt_codec, quiet,
                            form=form, text=as_text)
        return 0
    if not images:
        raise CliError("give IMAGE... to encode, or --prompt PROMPT.json (see --help)", 2)
    if as_text and len(images) > 1:
        raise CliError("--text is for one input (one line on stdout)", 2)
    if seed is not None:
        raise CliError("--seed applies to --prompt; the encoder chooses seeds itself", 2)
    from ..encoder import DEFAULT_BUDGET, REFERENCE_LOOP, EncoderConfig
    from .encode_run import run_encoder

    settings = {"describer": "openai", "describer_model": None, "n": 4, "m": 3, "k": 4, "budget": DEFAULT_BUDGET,
                "max_text_bytes": None, "decoder": DEFAULT_DECODER}
    if preset == "reference":
        settings.update(REFERENCE_PRESET)
    given = {"describer": describer, "describer_model": describer_model, "n": n, "m": m, "k": k, "budget": budget,
             "max_text_bytes": max_text_bytes, "decoder": decoder}
    settings.update({key: v for key, v in given.items() if v is not None})
    if no_budget:
        settings["budget"] = None
    if preview_path is not None and len(images) > 1:
        raise CliError("--preview is for one image", 2)
    if html_path is not None and len(images) > 1:
        raise CliError("--html is for one image", 2)
    if executor != "ray" and (address is not None or workers is not None):
        raise CliError("--address and --workers are for --executor ray", 2)
    if executor == "ray" and (preview_path is not None or html_path is not None or as_text):
        raise CliError("--preview, --html and --text are for one image in this process; leave out --executor ray", 2)
    if executor == "ray" and not dry_run:  # without Ray: exit 4 with the install command, before any model loads
        from ..raypool import import_ray

        import_ray()
    if caption is not None and len(images) > 1:
        raise CliError("--caption is for one image; use --captions FILE.json for several", 2)
    config = EncoderConfig(
        n=settings["n"], m=settings["m"], k=settings["k"], budget_bytes=settings["budget"],
        max_text_bytes=settings["max_text_bytes"], decoder=settings["decoder"], prompt_codec=prompt_codec,
        max_cost_usd=max_cost, patience=patience, container=form,
        **(REFERENCE_LOOP if preset == "reference" else {}),  # the preset is also the seed's loop behaviour
    )
    try:
        config.validate()
    except ValueError as exc:
        raise CliError(str(exc), 2) from None
    outs = [None] if as_text and not output and not outdir else output_paths(images, output, outdir, FORM_SUFFIX[form], "images")
    captions = _load_captions(captions_path)
    return run_encoder(
        images=list(images), outputs=outs, config=config, describer=settings["describer"],
        describer_model=settings["describer_model"], critic=critic, caption=caption, captions=captions,
        trace_path=trace_path, preview_path=preview_path, dry_run=dry_run, device=device, model_dir=model_dir, quiet=quiet,
        preset=preset, vocab=vocab, html_path=html_path, as_text=as_text,
        executor=executor or "local", workers=workers or 2, address=address,
    )


def main(argv: list[str] | None = None) -> int:
    return run_main(semenc, argv, "semenc")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
