"""Input images for the encoder and bench, and the decoder's resize policy.

Any image Pillow opens is accepted: EXIF orientation applied, alpha
flattened onto white, greyscale / palette / CMYK / 16-bit converted to 8-bit
RGB, the first frame of an animation used.  A pixel limit guards against
decompression bombs.  Failures raise :class:`InputError` with one line.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

from .errors import InputError

MAX_INPUT_PIXELS = 64_000_000  # refuse larger inputs (Pillow's bomb guard is raised to error at this size)
MAX_INPUT_BYTES = 256 * 1024 * 1024


@dataclass
class LoadedImage:
    image: "object"  # PIL.Image.Image, RGB
    notes: list[str]


def _to_rgb(img):
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        import numpy as np

        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(np.rint(arr * (255.0 / hi)), 0, 255).astype("uint8")
        img = Image.fromarray(arr, mode="L")
    if img.mode == "F":
        import numpy as np

        arr = np.asarray(img, dtype=np.float64)
        arr = np.clip(np.rint(arr), 0, 255).astype("uint8")
        img = Image.fromarray(arr, mode="L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "PA"):
        img = img.convert("RGBA")
    if img.mode == "RGBA" or img.mode == "RGBa":
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
    if img.mode != "RGB":
        img = img.convert("RGB")
    return img


def load_image(path: str | os.PathLike, *, max_pixels: int = MAX_INPUT_PIXELS) -> LoadedImage:
    """Open, normalise and fully decode one image; raise InputError on any problem."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    name = str(path)
    if os.path.isdir(name):
        raise InputError(f"{name}: is a directory, not an image")
    if not os.path.exists(name):
        raise InputError(f"{name}: no such file")
    size = os.path.getsize(name)
    if size == 0:
        raise InputError(f"{name}: empty file")
    if size > MAX_INPUT_BYTES:
        raise InputError(f"{name}: {size} bytes, larger than the {MAX_INPUT_BYTES} byte input limit")
    notes: list[str] = []
    old_limit = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = max_pixels // 2  # Pillow errors at 2x this, warns above it
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(name) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise InputError(f"{name}: {w}x{h} is {w * h} pixels, the limit is {max_pixels}")
                if getattr(im, "n_frames", 1) > 1:
                    notes.append(f"{name}: animated image, using the first of {im.n_frames} frames")
                    im.seek(0)
                im.load()
                img = ImageOps.exif_transpose(im)
                img = _to_rgb(img)
                img.load()
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{name}: image is larger than the {max_pixels} pixel limit") from None
    except UnidentifiedImageError:
        raise InputError(f"{name}: not an image Pillow can read") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"{name}: corrupt or truncated image ({exc})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = old_limit
    if img.width < 1 or img.height < 1:
        raise InputError(f"{name}: image has no pixels")
    from .container import MAX_DIMENSION

    if img.width > MAX_DIMENSION or img.height > MAX_DIMENSION:
        raise InputError(f"{name}: {img.width}x{img.height} exceeds the .sem limit of {MAX_DIMENSION} per side")
    return LoadedImage(img, notes)


def fit_to_size(image, width: int, height: int):
    """The decoder's resize policy (spec section 8): scale to cover, centre-crop.

    The generated image is scaled with Lanczos so it covers width x height
    while keeping its aspect ratio, then the centre is cropped.  The encoder
    scores exactly this image, so the receiver sees what the encoder chose.
    """
    from PIL import Image

    if image.size == (width, height):
        return image
    scale = max(width / image.width, height / image.height)
    sw = max(width, round(image.width * scale))
    sh = max(height, round(image.height * scale))
    resized = image.resize((sw, sh), Image.Resampling.LANCZOS)
    left = (sw - width) // 2
    top = (sh - height) // 2
    return resized.crop((left, top, left + width, top + height))
