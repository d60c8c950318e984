"""Load a benchmark data set: every Pillow-readable image in one folder.

Images are taken in sorted file-name order (the folder is not searched
recursively; hidden files are ignored; files Pillow cannot identify are
skipped).  Each image is brought to 8-bit RGB exactly the way ``semenc``
reads its input (:func:`semcodec.imageio.load_image`): EXIF orientation
applied, alpha flattened onto white, greyscale / palette / CMYK / 16-bit
converted to 8-bit RGB, the first frame of an animation.  ICC profiles and
other metadata are dropped (pixel values are used as stored).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..errors import InputError


@dataclass(frozen=True)
class DatasetImage:
    name: str  # the file name (unique within the folder)
    path: Path
    image: Image.Image  # RGB, original size

    @property
    def pixels(self) -> int:
        return self.image.width * self.image.height

    @cached_property
    def digest(self) -> str:
        """sha256 of the RGB pixels and size: identifies the content for caching."""
        return pixel_digest(self.image)


def pixel_digest(image: Image.Image) -> str:
    h = hashlib.sha256(f"{image.mode}:{image.width}x{image.height}:".encode())
    h.update(image.tobytes())
    return h.hexdigest()


def load_image(path: str | os.PathLike) -> Image.Image:
    """Open one image as RGB exactly as ``semenc`` does (:func:`semcodec.imageio.load_image`)."""
    from ..imageio import load_image as load

    img = load(path).image
    img.info = {}  # ICC profiles and other metadata are ignored: pixel values are used as stored
    return img


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Sorted paths of the Pillow-readable images directly inside ``folder``."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    out = []
    for p in sorted(root.iterdir(), key=lambda q: q.name):
        if p.name.startswith(".") or not p.is_file():
            continue
        try:
            with Image.open(p):
                pass
        except (UnidentifiedImageError, OSError):
            continue
        out.append(p)
    return out


def load_dataset(folder: str | os.PathLike, *, limit: int | None = None) -> list[DatasetImage]:
    """All images of ``folder`` (the first ``limit`` in sorted order), as RGB."""
    paths = list_images(folder)
    if not paths:
        raise InputError(f"{folder}: no readable images in this folder")
    if limit is not None:
        paths = paths[:limit]
    return [DatasetImage(name=p.name, path=p, image=load_image(p)) for p in paths]
