"""The encoder loop's size options (-n/-m/-k), declared once for semenc, sembench rd and sembench speed.

Defaults come from :class:`~semcodec.encoder.EncoderConfig`; the limits are
enforced by ``EncoderConfig.validate`` (a ConfigError, exit 2, one line), so a
command that does not run the encoder (``sembench rd --codecs jpeg -m 40``)
accepts what it will not use.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Callable

import click

from ..encoder_config import EncoderConfig

_DEFAULTS = {f.name: f.default for f in fields(EncoderConfig)}

LOOP_SIZE_OPTIONS = (  # (short, long, extra alias kept for older command lines, param, help)
    ("-n", "--iterations", "--n", "n", "Refinement rounds N"),
    ("-m", "--candidates", "--m", "m", "Prompts proposed per round M"),
    ("-k", "--renders", "--k", "k", "Renders (seeds) per round K"),
)


def loop_size_options(*, defaults: bool = True, what: str = "") -> Callable:
    """Decorator adding -n/-m/-k. ``defaults=False`` leaves them None (semenc tells an unset flag from a set one)."""

    def deco(func: Callable) -> Callable:
        for short, long, alias, name, text in reversed(LOOP_SIZE_OPTIONS):
            default = _DEFAULTS[name]
            help_text = f"{what}{text} (default {default})." if not defaults else f"{what}{text}."
            func = click.option(short, long, alias, name, type=click.IntRange(1), default=default if defaults else None,
                                show_default=defaults, help=help_text)(func)
        return func

    return deco
