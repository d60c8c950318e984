"""The encoder trace as typed records (spec/trace.md, version 1).

The encoder builds these; ``to_json()`` writes exactly the objects the spec
lists, keys in the spec's order.  Tools read the JSON; code in this package
reads the attributes (bench, speed, the world study), never re-parses dicts.
Fields are only ever added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TRACE_VERSION = 1


@dataclass
class CandidateTrace:
    """One of the round's M candidates after budget fitting."""

    prompt: dict  # the prompt's JSON form
    text: str  # canonical text
    text_bytes: int
    file_bytes: int  # the whole coded file
    clip_text: float  # CLIP(text, original), chunk mean
    shortened: str | None  # None, "compress", "cut" or "compress+cut"


@dataclass
class RenderTrace:
    """One of p*'s K renders."""

    seed: int | None
    clipsim: float
    revised_prompt: str | None
    seconds: float


@dataclass
class RenderedTrace:
    """A candidate rendered this round, and its K renders' CLIPSim."""

    candidate: int
    mean_clipsim: float
    max_clipsim: float


@dataclass
class IterationTrace:
    t: int
    mode: str  # "describe" | "refine"
    prompts: list[CandidateTrace]
    chosen: int
    renders: list[RenderTrace]
    rendered: list[RenderedTrace]
    renders_made: int
    iteration_best_clipsim: float
    acceptance_score: float
    improved: bool
    best_clipsim: float
    best_score: float
    best_t: int
    best_seed: int | None
    best_file_bytes: int
    model_calls: list[dict]
    cost_usd: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ResultTrace:
    file_bytes: int
    bpp: float
    seed: int | None
    clipsim: float
    best_t: int
    prompt: dict
    text: str
    container: str = "v1"  # the form file_bytes counts: "v1", "v2" or "packet" (added with container v2)


@dataclass
class CallCounts:
    text_scorings: int
    renders: int
    model_calls: int


@dataclass
class ImageTrace:
    """Everything one image's encode did (``IMAGE_TRACE`` of spec/trace.md)."""

    config: dict
    decoder: dict  # id, name, deterministic, source
    critic: str | None
    describer: str | None
    image: dict  # width, height
    text_budget_hint: int
    notes: list[str] = field(default_factory=list)
    iterations: list[IterationTrace] = field(default_factory=list)
    stopped_early: int | None = None  # the round after which patience ran out
    result: ResultTrace | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    cost_usd_estimate: float = 0.0
    calls: CallCounts | None = None
    input: str | None = None  # set by the command: the image path
    output: str | None = None  # and the .sem path written
    trace_version: int = TRACE_VERSION

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "trace_version": self.trace_version,
            "config": self.config,
            "decoder": self.decoder,
            "critic": self.critic,
            "describer": self.describer,
            "image": self.image,
            "text_budget_hint": self.text_budget_hint,
            "notes": list(self.notes),
            "iterations": [it.to_json() for it in self.iterations],
        }
        if self.stopped_early is not None:
            out["stopped_early"] = self.stopped_early
        if self.result is not None:
            out["result"] = asdict(self.result)
        out["timings_s"] = dict(self.timings_s)
        out["cost_usd_estimate"] = self.cost_usd_estimate
        if self.calls is not None:
            out["calls"] = asdict(self.calls)
        for key in ("input", "output"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


def trace_file(traces: list[ImageTrace]) -> dict[str, Any]:
    """The whole ``--trace`` file: ``{"semcodec_trace": 1, "images": [...]}``."""
    return {"semcodec_trace": TRACE_VERSION, "images": [t.to_json() for t in traces]}
