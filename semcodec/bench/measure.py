"""One measurement of the rd benchmark: a codec at one point on one image, scored.

Shared by the run (:mod:`semcodec.bench.rd`) and its executors
(:mod:`semcodec.bench.executor`), in the driver or a worker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Sequence

from . import metrics as M
from .codecs import Codec
from .dataset import DatasetImage


@dataclass
class Scorer:
    """Computes the distortion columns; a critic or judge of None leaves its column null.

    ``critic_id``/``judge_id`` identify the models (name, revision, weights
    folder) and go into the cache key, so results made without weights are not
    reused once weights are present.
    """

    critic: Any = None
    judge: Any = None
    critic_id: str | None = None
    judge_id: str | None = None
    _embeddings: dict = field(default_factory=dict)

    def _original(self, which: str, model: Any, img: DatasetImage):
        key = (which, img.digest)
        if key not in self._embeddings:
            self._embeddings[key] = model.embed_images([img.image])[0]
        return self._embeddings[key]

    def score(self, img: DatasetImage, reconstructions: Sequence) -> dict:
        """Per-image metrics, each the mean over the reconstructions (fresh decodes)."""
        recs = [M.match_size(r, img.image) for r in reconstructions]
        out: dict[str, Any] = {"clipsim": None, "clipsim_judge": None}
        if self.critic is not None:
            sims = M.clipsim_to(self.critic, self._original("critic", self.critic, img), recs)
            out["clipsim"] = M.mean_or_none(sims)
            if len(sims) > 1:
                out["clipsim_decodes"] = sims
                out["clipsim_std"] = M.std_or_none(sims)
        if self.judge is not None:
            out["clipsim_judge"] = M.mean_or_none(M.clipsim_to(self.judge, self._original("judge", self.judge, img), recs))
        out["psnr"] = M.mean_or_none(M.psnr(img.image, r) for r in recs)
        out["ssim"] = M.mean_or_none(M.ssim(img.image, r) for r in recs)
        return out


def error_record(codec_name: str, param: Any, img: DatasetImage, error: str) -> dict:
    return {"codec": codec_name, "param": param, "image": img.name, "width": img.image.width,
            "height": img.image.height, "error": error}


def measure(codec: Codec, param: Any, img: DatasetImage, scorer: Scorer, key: str) -> dict:
    out = codec.run(img.image, param)
    nbytes = len(out.bytes_)
    rec: dict[str, Any] = {
        "key": key,
        "codec": codec.name,
        "param": param,
        "image": img.name,
        "width": img.image.width,
        "height": img.image.height,
        "bytes": nbytes,
        "bpp": M.bpp(nbytes, img.image.width, img.image.height),
        "sha256": hashlib.sha256(out.bytes_).hexdigest(),
        "decodes": len(out.reconstructions),
    }
    rec.update(scorer.score(img, out.reconstructions))
    info = dict(out.info)
    if "clipsim_encoder" in info:
        rec["clipsim_encoder"] = info.pop("clipsim_encoder")
    if "iterations" in info:
        rec["iterations"] = info.pop("iterations")
    rec["info"] = info
    return rec
