"""semenc's models, loaded once, and the loop run on one image at a time (in this process or a Ray worker)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from typing import Any, Callable

from ..io import atomic_write
from ..registry import decoder_by_name

# The substitute when an endpoint no longer serves the preset's DALL-E 3.
REFERENCE_SUBSTITUTE = "gpt-image-2"


def caption_for(path: str, caption: str | None, captions: dict) -> str | None:
    return caption if caption is not None else captions.get(os.path.basename(path), captions.get(path))


def done_line(path, out, container, file_bytes, bpp, clipsim, seed, seconds) -> str:
    from ..container import form_label

    seed_s = "no seed" if seed is None else f"seed {seed}"
    return (f"semenc: {path} -> {out}: {form_label(container)}, {file_bytes} bytes, {bpp:.5f} bpp, CLIPSim {clipsim:.4f}, {seed_s}, "
            f"{seconds:.1f} s")


def write_traces(trace_path: str, traces) -> None:
    from ..trace import trace_file

    doc = trace_file(traces)
    atomic_write(trace_path, json.dumps(doc, indent=1, ensure_ascii=False, default=str).encode("utf-8"))


@dataclass(frozen=True)
class EncodeSetup:
    """What semenc's models are built from: plain, picklable data (a Ray worker builds the same models)."""

    config: Any  # semcodec.encoder.EncoderConfig (copied for every image)
    critic: str
    describer: str
    describer_model: str | None = None
    vocab: str | None = None
    device: str | None = None
    model_dir: str | None = None
    preset: str | None = None


class ImageEncoder:
    """semenc's models, loaded once, and the loop run on one image at a time.

    Holds the reference preset's one-time fallback: an endpoint that no longer
    serves DALL-E 3 switches this encoder to :data:`REFERENCE_SUBSTITUTE`
    (``notify`` gets the one-line notice)."""

    def __init__(self, setup: EncodeSetup, notify: Callable[[str], None] = lambda line: None) -> None:
        from ..backends import load_critic, load_describer, load_generator

        self.setup = setup
        self.notify = notify
        self.spec = decoder_by_name(setup.config.decoder)
        self.critic = load_critic(setup.critic, device=setup.device, model_dir=setup.model_dir)
        self.generator = load_generator(self.spec, device=setup.device, model_dir=setup.model_dir)
        if setup.describer == "interrogator":  # scores with the loop's critic unless --describer-model names another
            extra = {"vocabulary": setup.vocab} if setup.vocab else {}
            self.describer = load_describer(setup.describer, model=setup.describer_model, device=setup.device,
                                            model_dir=setup.model_dir,
                                            critic=None if setup.describer_model else self.critic, **extra)
        else:
            self.describer = load_describer(setup.describer, model=setup.describer_model, device=setup.device,
                                            model_dir=setup.model_dir)
        self.fallback_used = False

    def _substitute(self):
        """The reference preset's answer to an endpoint that no longer serves DALL-E 3."""
        from ..backends import load_generator

        self.fallback_used = True
        self.notify(f"semenc: {self.spec.source} is not served by this endpoint; the reference preset falls back "
                    f"to {REFERENCE_SUBSTITUTE} (quality high)")
        self.spec = decoder_by_name(REFERENCE_SUBSTITUTE)
        self.generator = load_generator(self.spec, device=self.setup.device, model_dir=self.setup.model_dir)
        return self.generator

    def encode(self, image, caption: str | None = None, progress=None):
        from ..encoder import encode_image

        config = replace(self.setup.config, caption=caption, decoder=self.spec.name)
        can_fall_back = self.setup.preset == "reference" and self.spec.name == "dalle3" and not self.fallback_used
        return encode_image(image, config=config, critic=self.critic, generator=self.generator,
                            describer=self.describer, progress=progress,
                            fallback=self._substitute if can_fall_back else None)
