"""Loading the rd benchmark's models: critic and judge for scoring, the sem leaf's encoder models.

Also the identities (name, pinned revision, weights folder) that go into the
cache keys and the descriptions of the result files.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .._version import __version__
from ..errors import MissingError, SemError
from ..registry import DEFAULT_DECODER, DEFAULT_DESCRIBER, DEFAULT_PROMPT_CODEC, decoder_by_name
from .codecs import SemCodec


def versions(extra: Sequence[str] = ()) -> dict:
    from importlib import metadata

    out = {"semcodec": __version__, "Python": platform.python_version()}
    for dist in ("Pillow", "numpy", "scikit-image", "matplotlib", *extra):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def _critic_spec(name: str) -> Any:
    from ..registry import critic_by_name

    try:
        return critic_by_name(name)
    except SemError:
        return None


def default_judge() -> str:
    """The registry's default judge (a critic entry of role "judge", held out from the encoder)."""
    from ..registry import DEFAULT_JUDGE

    return DEFAULT_JUDGE


def model_identity(name: str, model_dir: str | None, spec=None) -> str:
    """name@revision|weights-folder: what the cache keys and descriptions carry.

    The folder part includes the weights files' sizes and modification times, so
    weights replaced in place are measured afresh rather than read from the cache."""
    spec = spec if spec is not None else _critic_spec(name)
    rev = spec.revision if spec is not None else None
    source = str(spec.source or "") if spec is not None else ""
    if model_dir and Path(model_dir, name).is_dir():
        folder = Path(model_dir, name).resolve()
        stamp = sorted((str(p.relative_to(folder)), p.stat().st_size, int(p.stat().st_mtime))
                       for p in folder.rglob("*") if p.is_file())
        where = f"{folder}#{hashlib.sha256(repr(stamp).encode()).hexdigest()[:12]}"
    elif source.startswith("package:"):
        where = "package"
    else:
        where = "hub"
    return f"{name}@{rev or 'unpinned'}|{where}"


def describe_model(name: str, role: str) -> str:
    spec = _critic_spec(name)
    if spec is None:
        return f"{role} {name}"
    parts = [f"{role} {name}"]
    for attr, v in (("arch", spec.arch), ("pretrained", spec.pretrained), ("source", spec.source),
                    ("revision", spec.revision)):
        if v:
            parts.append(f"{attr} {v}")
    return ", ".join(parts)


def _missing_module(exc: ModuleNotFoundError, extra: str = "local") -> MissingError:
    if exc.name and exc.name.startswith("semcodec"):
        return MissingError(f"this semcodec has no {exc.name} module")
    return MissingError(f"{exc.name} is not installed: pip install 'semcodec[{extra}]'")


def load_scoring_model(name: str, *, device: str | None, model_dir: str | None) -> Any:
    """A critic through :func:`semcodec.backends.load_critic`; a missing module is a MissingError."""
    from ..backends import load_critic

    try:
        return load_critic(name, device=device, model_dir=model_dir)
    except ModuleNotFoundError as exc:
        raise _missing_module(exc) from None


def missing_line(missing: list[tuple[str, str, MissingError]]) -> str:
    """One line: which weights the CLIP columns need and how to get them."""
    what = " and ".join(f"{name} ({role})" for name, role, _ in missing)
    how = " and ".join(f"`semmodels download {name}`" for name, _, _ in missing)
    reasons = [str(e) for _, _, e in missing if "semmodels download" not in str(e)]
    why = f" ({reasons[0]})" if reasons else ""
    return (f"CLIP columns left empty: CLIPSim needs the CLIP weights {what}, which could not be loaded{why}; "
            f"get them with {how} or pass --model-dir DIR; rate, PSNR and SSIM are still computed")


def build_sem_codec(*, critic: Any, critic_name: str, budgets: Sequence[int], decoder: str, describer: str,
                    describer_model: str | None, prompt_codec: str, n: int, m: int, k: int, decodes: int,
                    device: str | None, model_dir: str | None) -> SemCodec:
    """The sem leaf with its models; MissingError (with the reason) if it cannot run here."""
    from ..backends import load_describer, load_generator

    if critic is None:
        raise MissingError(f"the encoder needs the critic {critic_name} (`semmodels download {critic_name}` or --model-dir DIR)")
    try:
        generator = load_generator(decoder_by_name(decoder), device=device, model_dir=model_dir)
        desc = load_describer(describer, model=describer_model, device=device, model_dir=model_dir)
    except ModuleNotFoundError as exc:
        raise _missing_module(exc) from None
    identity = {"critic_id": model_identity(critic_name, model_dir), "describer_name": describer,
                "decoder_id": model_identity(decoder, model_dir, decoder_by_name(decoder))}
    if describer_model:
        identity["describer_model"] = describer_model
    return SemCodec(critic=critic, generator=generator, describer=desc, points=budgets, n=n, m=m, k=k,
                    decoder=decoder, prompt_codec=prompt_codec, decodes=decodes, identity=identity)


# ---------------------------------------------------------------------------
# The whole run's models, buildable in any process (the driver or a worker)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSetup:
    """What the rd run's scoring models and codec ladder are built from: plain, picklable data.

    A Ray worker receives this and builds the same models the driver built,
    once per worker (the actor keeps them for every image it is given).
    """

    codec_names: tuple[str, ...]
    critic: str
    judge: str
    model_dir: str | None = None
    device: str | None = None
    budgets: tuple[int, ...] = ()
    decoder: str = DEFAULT_DECODER
    describer: str = DEFAULT_DESCRIBER
    describer_model: str | None = None
    prompt_codec: str = DEFAULT_PROMPT_CODEC
    n: int = 4
    m: int = 3
    k: int = 4
    decodes: int = 3


@dataclass
class BuiltRun:
    scorer: Any  # semcodec.bench.rd.Scorer
    codecs: list
    warnings: list[str] = field(default_factory=list)  # one line each: what was skipped and why
    metric_desc: list[str] = field(default_factory=list)


def build_run(setup: RunSetup) -> BuiltRun:
    """Load the critic and judge (missing weights leave their columns null) and build the codec ladder.

    A codec that cannot run here is skipped with a warning line; the caller
    decides what an empty ladder means.
    """
    from .codecs import CODECS
    from .measure import Scorer

    scorer = Scorer()
    warnings: list[str] = []
    missing: list[tuple[str, str, MissingError]] = []
    for role, name in (("critic", setup.critic), ("judge", setup.judge)):
        try:
            model = load_scoring_model(name, device=setup.device, model_dir=setup.model_dir)
        except MissingError as exc:
            missing.append((name, role, exc))
            continue
        setattr(scorer, role, model)
        setattr(scorer, f"{role}_id", model_identity(name, setup.model_dir))
    if missing:
        warnings.append(missing_line(missing))
    metric_desc = [
        describe_model(setup.critic, "CLIPSim critic") + ("" if scorer.critic is not None else " (weights missing: null)"),
        describe_model(setup.judge, "judge") + ("" if scorer.judge is not None else " (weights missing: null)"),
        "PSNR over RGB jointly and SSIM per RGB channel averaged (scikit-image, 8-bit, original size)",
    ]
    codecs: list = []
    for name in setup.codec_names:
        if name == "sem":
            try:
                codecs.append(build_sem_codec(
                    critic=scorer.critic, critic_name=setup.critic, budgets=setup.budgets, decoder=setup.decoder,
                    describer=setup.describer, describer_model=setup.describer_model,
                    prompt_codec=setup.prompt_codec, n=setup.n, m=setup.m, k=setup.k, decodes=setup.decodes,
                    device=setup.device, model_dir=setup.model_dir))
            except MissingError as exc:
                warnings.append(f"sem skipped: {exc}")
            continue
        cls = CODECS[name]
        ok, why = cls.available()
        if not ok:
            warnings.append(f"{name} skipped: {why}")
            continue
        codecs.append(cls())
    return BuiltRun(scorer=scorer, codecs=codecs, warnings=warnings, metric_desc=metric_desc)
