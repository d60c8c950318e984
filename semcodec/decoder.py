"""File -> image through the registry (spec section 8)."""

from __future__ import annotations

from dataclasses import dataclass

from .backends.base import Generator
from .container import SemFile
from .imageio import fit_to_size


@dataclass
class DecodeResult:
    image: object  # PIL.Image, sem.width x sem.height
    seed: int | None  # the seed actually used
    exact: bool  # True iff this is the picture the encoder chose (file's own deterministic decoder)
    note: str  # one line for the user
    revised_prompt: str | None = None


def seed_for(sem: SemFile, generator: Generator) -> int | None:
    """The seed a generator is given: the file's seed, 0 if the file has none, None if unseeded."""
    if not generator.spec.deterministic:
        return None
    return sem.seed if sem.seed is not None else 0


def decode_image(sem: SemFile, generator: Generator) -> DecodeResult:
    seed = seed_for(sem, generator)
    rendered = generator.render(sem.prompt.text(), [seed])[0]
    image = fit_to_size(rendered.image, sem.width, sem.height)
    own = generator.spec.id == sem.decoder.id
    if own and generator.spec.deterministic and sem.seed is not None:
        note = f"{sem.decoder.name} seed {seed}: the exact picture the encoder chose"
        exact = True
    elif not generator.spec.deterministic:
        note = f"{generator.spec.name} takes no seed: each decode is a new picture of the same description"
        exact = False
    elif own:
        note = f"{sem.decoder.name}: the file carries no seed, rendered with seed 0"
        exact = False
    elif (generator.spec.params or {}).get("preview_of") == sem.decoder.name:
        note = (
            f"preview with {generator.spec.name} (seed {seed}) of the file's {sem.decoder.name} picture: "
            f"the same UNet and seed with a faster VAE decoder, so close to but not the picture the encoder chose"
        )
        exact = False
    else:
        note = (
            f"rendered with {generator.spec.name} (seed {seed}) instead of the file's {sem.decoder.name}: "
            "same description, not the picture the encoder chose"
        )
        exact = False
    return DecodeResult(image=image, seed=seed, exact=exact, note=note, revised_prompt=rendered.revised_prompt)


def render(sem: SemFile, generator: Generator):
    """The receiver's reconstruction at sem.width x sem.height."""
    return decode_image(sem, generator).image
