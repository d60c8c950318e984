"""The Python API: ``semcodec.encode(image, **options)`` and ``semcodec.decode(data)``.

Both load the models they need (through the same registry and loaders as the
command-line tools) unless models are passed in, and import the heavy
libraries only when called.
"""

from __future__ import annotations

import os
from typing import Any

from .container import SemFile
from .container import decode as parse
from .errors import InputError
from .registry import DEFAULT_CRITIC


def _as_image(image: Any):
    if isinstance(image, (str, os.PathLike)):
        from .imageio import load_image

        return load_image(image).image
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a core dependency
        raise InputError("encode() needs a PIL image or a path") from None
    if not isinstance(image, Image.Image):
        raise InputError(f"encode() needs a PIL image or a path, not {type(image).__name__}")
    from .imageio import _to_rgb

    return _to_rgb(image)


def encode(
    image,
    *,
    critic=None,
    generator=None,
    describer=None,
    describer_name: str = "openai",
    describer_model: str | None = None,
    critic_name: str = DEFAULT_CRITIC,
    device: str | None = None,
    model_dir: str | os.PathLike | None = None,
    **options: Any,
):
    """Encode one image (a PIL image or a path) by CLIP-guided refinement.

    ``options`` are :class:`semcodec.encoder.EncoderConfig` fields (``n``,
    ``m``, ``k``, ``budget_bytes``, ``max_text_bytes``, ``decoder``,
    ``prompt_codec``, ``container``, ``caption``, ``max_cost_usd``, ``patience``).
    ``container`` is the form written and budgeted: ``"v1"``, ``"v2"`` or
    ``"packet"`` (read a packet back with ``semcodec.container.decode_packet``).
    Returns ``(data, result)``: the ``.sem`` bytes and an
    :class:`~semcodec.encoder.EncodeResult` with the chosen picture and the trace.
    """
    from .backends import load_critic, load_describer, load_generator
    from .encoder import EncoderConfig, encode_image
    from .registry import decoder_by_name

    config = EncoderConfig(**options)
    img = _as_image(image)
    critic = critic or load_critic(critic_name, device=device, model_dir=model_dir)
    generator = generator or load_generator(decoder_by_name(config.decoder), device=device, model_dir=model_dir)
    describer = describer or load_describer(describer_name, model=describer_model, device=device, model_dir=model_dir)
    result = encode_image(img, config=config, critic=critic, generator=generator, describer=describer)
    return result.data, result


def decode(data: bytes | SemFile, *, generator=None, decoder: str | None = None, device: str | None = None,
           model_dir: str | os.PathLike | None = None):
    """Decode ``.sem`` bytes (or a parsed SemFile) into a PIL image at the stored size.

    ``decoder`` renders with another registry decoder than the file's own
    (only the file's own seeded decoder reproduces the encoder's picture).
    """
    from .backends import load_generator
    from .decoder import decode_image
    from .registry import decoder_by_name

    sem = data if isinstance(data, SemFile) else parse(data)
    if generator is None:
        spec = decoder_by_name(decoder) if decoder else sem.decoder
        generator = load_generator(spec, device=device, model_dir=model_dir)
    return decode_image(sem, generator).image
