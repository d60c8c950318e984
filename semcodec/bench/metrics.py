"""Rate and distortion measures used by ``sembench rd``.

* **bpp** = 8 x file bytes / (width x height of the *original* image).  A data
  set's figure for one codec setting is total bits over total pixels
  (:func:`total_bpp`), not the mean of per-image bpp.
* **CLIPSim** = cosine of the unit image embeddings of original and
  reconstruction under a critic (anything with ``embed_images``).
* **PSNR** (dB) on 8-bit RGB at the original size, data range 255, the mean
  squared error taken over all three channels jointly; identical images give
  ``inf``.
* **SSIM** on 8-bit RGB at the original size: computed on each of R, G, B
  separately and averaged (scikit-image ``structural_similarity`` with
  ``channel_axis=-1``, data range 255, its default 7x7 uniform window; the
  window shrinks to the largest odd size that fits images smaller than 7 px).
  No colour-space conversion is done for either PSNR or SSIM.

Reconstructions of another size are resized to the original with bicubic
filtering before PSNR/SSIM (:func:`match_size`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..container import bpp  # noqa: F401  (bits per pixel of one file: the codec's one definition)
from ..errors import InputError, MissingError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from PIL import Image


def _skimage_metrics():
    try:
        from skimage import metrics
    except ImportError:
        raise MissingError("PSNR/SSIM need scikit-image, in the 'bench' extra: pip install 'semcodec[bench]'") from None
    return metrics


def total_bpp(nbytes: Iterable[int], pixels: Iterable[int]) -> float:
    """A data set's rate: total bits over total pixels."""
    b, p = sum(nbytes), sum(pixels)
    if p <= 0:
        raise ValueError("no pixels")
    return 8.0 * b / p


def match_size(reconstruction: "Image.Image", original: "Image.Image") -> "Image.Image":
    """The reconstruction as RGB at the original's size (bicubic if it differs)."""
    from PIL import Image

    rec = reconstruction.convert("RGB")
    if rec.size != original.size:
        rec = rec.resize(original.size, Image.Resampling.BICUBIC)
    return rec


def _pair(original: "Image.Image", reconstruction: "Image.Image"):
    import numpy as np

    a = np.asarray(original.convert("RGB"), dtype=np.uint8)
    b = np.asarray(match_size(reconstruction, original), dtype=np.uint8)
    return a, b


def psnr(original: "Image.Image", reconstruction: "Image.Image") -> float:
    """PSNR in dB over RGB jointly (``inf`` if identical)."""
    metrics = _skimage_metrics()
    a, b = _pair(original, reconstruction)
    if (a == b).all():
        return math.inf
    return float(metrics.peak_signal_noise_ratio(a, b, data_range=255))


def ssim(original: "Image.Image", reconstruction: "Image.Image") -> float | None:
    """Mean over R, G, B of per-channel SSIM; None for images under 3 px on a side."""
    metrics = _skimage_metrics()
    a, b = _pair(original, reconstruction)
    side = min(a.shape[0], a.shape[1])
    win = min(7, side if side % 2 else side - 1)
    if win < 3:
        return None
    return float(metrics.structural_similarity(a, b, channel_axis=-1, data_range=255, win_size=win))


def unit_rows(x: Any) -> "np.ndarray":
    import numpy as np

    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        raise InputError("the critic returned a zero or non-finite embedding")
    return arr / norms


def cosine_rows(a: Any, b: Any) -> "np.ndarray":
    """Row-wise cosine between two (n, d) embedding arrays (re-normalised)."""
    ua, ub = unit_rows(a), unit_rows(b)
    if ua.shape != ub.shape:
        raise ValueError(f"embedding shapes differ: {ua.shape} vs {ub.shape}")
    return (ua * ub).sum(axis=1)


def clipsim(critic: Any, originals: Sequence["Image.Image"], reconstructions: Sequence["Image.Image"]) -> list[float]:
    """CLIPSim of each (original, reconstruction) pair under ``critic``."""
    if len(originals) != len(reconstructions):
        raise ValueError("originals and reconstructions differ in number")
    if not originals:
        return []
    ea = critic.embed_images(list(originals))
    eb = critic.embed_images(list(reconstructions))
    return [float(v) for v in cosine_rows(ea, eb)]


def clipsim_to(critic: Any, original_embedding: Any, reconstructions: Sequence["Image.Image"]) -> list[float]:
    """CLIPSim of several reconstructions against one precomputed original embedding."""
    import numpy as np

    if not reconstructions:
        return []
    eb = critic.embed_images(list(reconstructions))
    ea = np.repeat(unit_rows(original_embedding), len(reconstructions), axis=0)
    return [float(v) for v in cosine_rows(ea, eb)]


def mean_or_none(values: Iterable[float | None]) -> float | None:
    """Mean, or None if any value is None or there are none; inf propagates."""
    vals = list(values)
    if not vals or any(v is None for v in vals):
        return None
    return float(sum(vals) / len(vals))


def std_or_none(values: Iterable[float | None]) -> float | None:
    """Population standard deviation, or None as :func:`mean_or_none`."""
    vals = list(values)
    m = mean_or_none(vals)
    if m is None or not math.isfinite(m):
        return None
    return float(math.sqrt(sum((v - m) ** 2 for v in vals) / len(vals)))
