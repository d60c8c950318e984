"""Where local model weights live, listing them, and downloading them.

Layout: ``DIR/<name>/`` for every registry entry (decoder, critic, describer),
where DIR is ``--model-dir`` or the environment variable ``SEMCODEC_MODEL_DIR``.
A folder there holds exactly what the entry's hub repo holds at its pinned
revision (diffusers ``save_pretrained`` layout for decoders, open_clip's
``open_clip_config.json`` + weights for critics), so a folder made by
``semmodels download NAME`` and one written by hand are read the same way.

Without a model dir, loaders fall back to the Hugging Face cache at the pinned
revision, and only then to the hub.  Offline (``HF_HUB_OFFLINE=1``) or with the
hub unreachable, a missing model raises :class:`MissingError` at once, with
one line saying how to get it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import registry
from .errors import MissingError, SemError

ENV_MODEL_DIR = "SEMCODEC_MODEL_DIR"
HUB_PROBE_TIMEOUT_S = 3.0
_LOCAL_EXTRA = "needs the 'local' extra: pip install 'semcodec[local]'"

# Files of a diffusers repo we read: the per-component configs, tokenizers and
# fp32 safetensors weights.  Root-level single-file checkpoints, fp16 variants
# and .bin duplicates are left out (the loader never reads them).
_DIFFUSERS_PATTERNS = [
    "model_index.json",
    "scheduler/*.json",
    "feature_extractor/*.json",
    "tokenizer/*",
    "tokenizer_2/*",
    "*/config.json",
    "text_encoder/model.safetensors",
    "text_encoder_2/model.safetensors",
    "unet/diffusion_pytorch_model.safetensors",
    "vae/diffusion_pytorch_model.safetensors",
]
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pth", ".pt")


# ---------------------------------------------------------------------------
# Names and folders
# ---------------------------------------------------------------------------


def resolve_model_dir(model_dir: str | os.PathLike | None = None) -> Path | None:
    """``model_dir`` if given, else ``$SEMCODEC_MODEL_DIR``, else None."""
    if model_dir is not None and str(model_dir) != "":
        return Path(model_dir).expanduser()
    env = os.environ.get(ENV_MODEL_DIR, "")
    return Path(env).expanduser() if env else None


def _describers() -> tuple:
    return registry.DESCRIBERS


def lookup(name: str) -> Any:
    """The registry entry called ``name``: a decoder, critic (or role alias) or describer."""
    for table in (registry.DECODERS, registry.CRITICS, _describers()):
        for entry in table:
            if entry.name == name:
                return entry
    if name in ("critic", "judge"):
        return registry.critic_by_name(name)
    known = ", ".join(all_names())
    raise SemError(f"unknown model {name!r}; known: {known}")


def all_names() -> list[str]:
    return [e.name for e in (*registry.DECODERS, *registry.CRITICS, *_describers())]


def kind_of(entry: Any) -> str:
    if isinstance(entry, registry.DecoderSpec):
        return "decoder"
    if isinstance(entry, registry.CriticSpec):
        return entry.role
    return "describer"


BUILTIN_FAMILIES = ("synthetic", "interrogator")  # code only: nothing to download


def is_api(entry: Any) -> bool:
    """True for entries served by a remote API (no local weights)."""
    return entry.family == "openai"


def is_builtin(entry: Any) -> bool:
    """True for entries that are code inside semcodec and need no weight files at all."""
    return entry.family in BUILTIN_FAMILIES


def allow_patterns(entry: Any) -> list[str] | None:
    """The repo files an entry needs (None: the whole repo)."""
    if isinstance(entry, registry.CriticSpec):
        return list(entry.files)
    if entry.family == "diffusers":
        if vae_part(entry) is not None:  # the VAE comes from its own repo: skip the base repo's weights
            return [p for p in _DIFFUSERS_PATTERNS if not p.startswith("vae/")]
        return list(_DIFFUSERS_PATTERNS)
    return list(entry.files) if entry.files else None


@dataclass(frozen=True, kw_only=True)
class VaePart(registry.Entry):
    """A decoder's VAE from a second hub repo (sd-turbo-taesd's TAESD), at its own pinned revision.

    In a model dir it lives in ``DIR/<name>/<subfolder>/``; otherwise in the
    Hugging Face cache.  ``name`` is the decoder's, so messages name the
    command that fetches both (``semmodels download <name>``).
    """

    family: str = "diffusers-vae"
    description: str = "a decoder's VAE from its own repo"
    subfolder: str
    files: tuple[str, ...] = ("config.json", "diffusion_pytorch_model.safetensors")


def vae_part(entry: Any) -> VaePart | None:
    """The entry's separately sourced VAE (params ``vae_source``/``vae_revision``), else None."""
    params = entry.params if isinstance(entry, registry.DecoderSpec) else {}
    if not params.get("vae_source"):
        return None
    return VaePart(name=entry.name, source=str(params["vae_source"]), revision=str(params["vae_revision"]),
                   subfolder=str(params.get("vae_subfolder", "vae_part")))


def _cached_or_fetched(entry: Any, model_dir: str | os.PathLike | None, fetch: bool) -> Path:
    """The HF cache's snapshot at the pinned revision, else the hub (when ``fetch``), else MissingError."""
    cached = cached_snapshot(entry)
    if cached is not None:
        return cached
    if not fetch:
        raise MissingError(missing_message(entry, model_dir))
    return _fetch(entry, None)


def locate_vae(entry: Any, folder: Path, model_dir: str | os.PathLike | None = None, *, fetch: bool = True) -> Path:
    """Where the entry's separately sourced VAE is: ``folder/<subfolder>/``, else the HF cache, else the hub."""
    part = vae_part(entry)
    if part is None:
        raise SemError(f"{entry.name} has no separately sourced VAE")
    sub = folder / part.subfolder
    if sub.is_dir():
        if not folder_complete(part, sub):
            raise MissingError(f"{sub}/ exists but holds no complete copy of {part.source} (config and weights)")
        return sub
    return _cached_or_fetched(part, model_dir, fetch)


def model_folder(name: str, model_dir: str | os.PathLike | None = None) -> Path | None:
    """``DIR/<name>/`` when a model dir is set and that folder exists, else None."""
    root = resolve_model_dir(model_dir)
    if root is None:
        return None
    folder = root / name
    return folder if folder.is_dir() else None


PACKAGE_PREFIX = "package:"  # source of weights shipped inside semcodec (the synthetic world's tiny CLIPs)


def packaged_folder(entry: Any) -> Path | None:
    """The folder inside the installed package for a ``package:<path>`` source, else None."""
    source = entry.source or ""
    if not source.startswith(PACKAGE_PREFIX):
        return None
    return Path(__file__).resolve().parent.parent / source[len(PACKAGE_PREFIX):]


def folder_complete(entry: Any, folder: Path) -> bool:
    """Whether ``folder`` holds a loadable copy of the entry (config and weights)."""
    if not folder.is_dir():
        return False
    if entry.family == "diffusers":
        return (folder / "model_index.json").is_file() and any(
            p.suffix in _WEIGHT_SUFFIXES for p in (folder / "unet").glob("*")
        )
    return any(p.suffix in _WEIGHT_SUFFIXES for p in folder.iterdir() if p.is_file())


def missing_message(entry: Any, model_dir: str | os.PathLike | None = None, why: str = "") -> str:
    root = resolve_model_dir(model_dir)
    where = f"{root / entry.name}/ is missing or incomplete" if root else "no --model-dir given"
    src = f"{entry.source}@{entry.revision[:12]}" if entry.revision else entry.source
    tail = f" ({why})" if why else ""
    return (
        f"weights for {entry.name} ({src}) are not available{tail}: {where} and the Hugging Face cache "
        f"has no copy; run `semmodels download {entry.name} --model-dir DIR` where the hub is reachable, "
        f"then pass --model-dir DIR (or set {ENV_MODEL_DIR})"
    )


# ---------------------------------------------------------------------------
# Hub access
# ---------------------------------------------------------------------------


def _import_hub() -> Any:
    try:
        import huggingface_hub
    except ImportError:
        raise MissingError(f"downloading and caching models {_LOCAL_EXTRA}") from None
    return huggingface_hub


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, read now, not at import."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().upper() in ("1", "ON", "YES", "TRUE"):
            return True
    return False


def hub_reachable(timeout: float = HUB_PROBE_TIMEOUT_S) -> str | None:
    """None if a TCP connection to the hub endpoint opens within ``timeout``, else why not.

    A quick probe so that an unreachable hub fails in seconds instead of after
    the hub client's own retries.
    """
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urlparse(endpoint)
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme != "http" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"cannot reach {host}: {exc.strerror or exc}"


def hub_cache_dir() -> str | None:
    """HF_HUB_CACHE, else HF_HOME/hub, read now (huggingface_hub reads them once, at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]) / "hub")
    return None


def cached_snapshot(entry: Any) -> Path | None:
    """The Hugging Face cache's snapshot of the entry at its pinned revision, if complete."""
    if not entry.revision:  # API and built-in entries pin no hub snapshot
        return None
    hub = _import_hub()
    try:
        path = hub.snapshot_download(
            entry.source,
            revision=entry.revision,
            allow_patterns=allow_patterns(entry),
            local_files_only=True,
            cache_dir=hub_cache_dir(),
        )
    except (OSError, ValueError, hub.errors.HfHubHTTPError):
        return None
    folder = Path(path)
    return folder if folder_complete(entry, folder) else None


def _fetch(entry: Any, local_dir: Path | None) -> Path:
    """Download the entry's files at the pinned revision (into ``local_dir`` or the HF cache)."""
    hub = _import_hub()
    if hub_offline():
        raise MissingError(missing_message(entry, local_dir.parent if local_dir else None, "HF_HUB_OFFLINE is set"))
    why = hub_reachable()
    if why:
        raise MissingError(missing_message(entry, local_dir.parent if local_dir else None, why))
    kwargs: dict[str, Any] = {"revision": entry.revision, "allow_patterns": allow_patterns(entry)}
    if local_dir is not None:
        kwargs["local_dir"] = str(local_dir)
    else:
        kwargs["cache_dir"] = hub_cache_dir()
    try:
        path = hub.snapshot_download(entry.source, **kwargs)
    except hub.errors.GatedRepoError:
        raise MissingError(
            f"{entry.source} is gated: accept its licence on huggingface.co and log in (`hf auth login`)"
        ) from None
    except hub.errors.RevisionNotFoundError:
        raise SemError(f"{entry.source} has no revision {entry.revision} (registry pin is wrong)") from None
    except (hub.errors.HfHubHTTPError, OSError) as exc:
        raise MissingError(missing_message(entry, local_dir.parent if local_dir else None, str(exc).splitlines()[0]))
    folder = Path(path)
    if not folder_complete(entry, folder):
        raise MissingError(f"download of {entry.name} from {entry.source}@{entry.revision} is incomplete: {folder}")
    return folder


def locate_weights(entry: Any, model_dir: str | os.PathLike | None = None, *, fetch: bool = True) -> Path:
    """The folder to load ``entry`` from: DIR/<name>/, else the HF cache, else the hub.

    Raises MissingError (fast, no network wait) when none has it and the hub
    cannot be used.
    """
    folder = model_folder(entry.name, model_dir)
    if folder is not None:
        if not folder_complete(entry, folder):
            raise MissingError(f"{folder}/ exists but holds no complete copy of {entry.name} (config and weights)")
        return folder
    packaged = packaged_folder(entry)
    if packaged is not None:
        if not folder_complete(entry, packaged):
            raise MissingError(f"{packaged}/ (shipped with semcodec) is missing or incomplete: reinstall semcodec")
        return packaged
    return _cached_or_fetched(entry, model_dir, fetch)


# ---------------------------------------------------------------------------
# Listing and downloading
# ---------------------------------------------------------------------------


def list_models(model_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Every decoder, critic and describer entry with where its weights are.

    ``weights`` is "model-dir", "package", "hf-cache" or "missing" for local models,
    "built-in" for code-only entries (the synthetic decoder, the interrogator) and
    "api" for remote ones (then ``api_key_set`` says whether OPENAI_API_KEY is set).
    """
    rows: list[dict[str, Any]] = []
    root = resolve_model_dir(model_dir)
    for entry in (*registry.DECODERS, *registry.CRITICS, *_describers()):
        row: dict[str, Any] = {
            "name": entry.name,
            "id": entry.id if isinstance(entry, registry.DecoderSpec) else None,
            "kind": kind_of(entry),
            "source": entry.source,
            "revision": entry.revision,
            "deterministic": (entry.deterministic if isinstance(entry, registry.DecoderSpec)
                              else True if isinstance(entry, registry.CriticSpec) else None),
            "retired": entry.retired,
        }
        if isinstance(entry, registry.DescriberSpec):  # its default model (an API name, a hub repo, a critic)
            row["model"] = entry.model
        if is_api(entry):
            row["weights"] = "api"
            row["api_key_set"] = bool(os.environ.get("OPENAI_API_KEY"))
            row["path"] = None
        elif is_builtin(entry):
            row["weights"], row["path"] = "built-in", None
        else:
            folder = root / entry.name if root else None
            packaged = packaged_folder(entry)
            if folder is not None and folder_complete(entry, folder):
                row["weights"], row["path"] = "model-dir", str(folder)
            elif packaged is not None:
                row["weights"], row["path"] = ("package", str(packaged)) if folder_complete(entry, packaged) else ("missing", None)
            else:
                try:
                    cached = cached_snapshot(entry)
                except MissingError:  # huggingface_hub absent: nothing can be cached
                    cached = None
                row["weights"], row["path"] = ("hf-cache", str(cached)) if cached else ("missing", None)
        rows.append(row)
    return rows


def download(name: str, model_dir: str | os.PathLike | None = None) -> Path:
    """Fetch ``name`` at its pinned revision into DIR/<name>/ (the layout the loaders read).

    Without a model dir the files go to the Hugging Face cache instead.
    Offline or with the hub unreachable this fails fast with MissingError.
    """
    entry = lookup(name)
    if is_api(entry):
        raise SemError(f"{entry.name} is served by an API and has no weights to download")
    if is_builtin(entry):
        raise SemError(f"{entry.name} is built into semcodec and has no weights to download")
    if packaged_folder(entry) is not None:
        return locate_weights(entry, model_dir, fetch=False)  # shipped with semcodec: nothing to fetch
    root = resolve_model_dir(model_dir)
    part = vae_part(entry)
    if root is None:
        folder = _fetch(entry, None)
        if part is not None:
            _fetch(part, None)
        return folder
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SemError(f"cannot create model dir {root}: {exc.strerror or exc}") from None
    folder = _fetch(entry, root / entry.name)
    if part is not None:
        _fetch(part, folder / part.subfolder)
    return folder
