"""The rd benchmark's cache: one JSON record per (codec, parameter, image, settings hash).

A record is reused only when its stored key equals the settings hash of the
run asking for it, so a change of codec settings, models, loop behaviour or
image re-runs that point; an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from .codecs import Codec, SemCodec
from .dataset import DatasetImage

CACHE_VERSION = 1  # bump when a cached record's meaning changes


def _loop_settings(codec: Codec) -> dict | None:
    """The encoder loop behaviour a sem codec runs with (EncoderConfig's default), so a change re-runs it."""
    if not isinstance(codec, SemCodec):
        return None
    from ..encoder import REFERENCE_LOOP, EncoderConfig

    cfg = EncoderConfig()
    return {k: getattr(cfg, k) for k in REFERENCE_LOOP}


def settings_hash(codec: Codec, param: Any, img: DatasetImage, scorer: Any) -> str:
    loop = _loop_settings(codec)
    blob = json.dumps(
        {
            "cache": CACHE_VERSION,
            "codec": codec.settings(),
            "param": param,
            "image": img.digest,
            "critic": scorer.critic_id if scorer.critic is not None else None,
            "judge": scorer.judge_id if scorer.judge is not None else None,
            **({"loop": loop} if loop is not None else {}),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def slug(value: Any) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(value))


def cache_path(cache_dir: Path, codec: Codec, param: Any, img: DatasetImage, key: str) -> Path:
    return cache_dir / slug(codec.name) / slug(param) / f"{slug(img.name)}-{key}.json"


def json_safe(value: Any) -> Any:
    """Non-finite floats become null (JSON has no inf/NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def dump(doc: Any) -> bytes:
    return (json.dumps(json_safe(doc), indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def dump_doc(doc: dict) -> bytes:
    """A <codec>.json document: indented, each results column on one line."""
    doc = json_safe(doc)
    head = [f" {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}," for k, v in doc.items() if k != "results"]
    cols = [f"  {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in doc["results"].items()]
    return ("{\n" + "\n".join(head) + '\n "results": {\n' + ",\n".join(cols) + "\n }\n}\n").encode("utf-8")


def read_cached(path: Path, key: str) -> dict | None:
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("key") != key:
        return None
    return rec

