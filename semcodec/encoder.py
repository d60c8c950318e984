"""The encoder: CLIP-guided prompt refinement.

Per image: embed the original once.  For t = 1..N the describer proposes M
prompts (descriptions at t = 1, variations of the best prompt so far after),
each fitted to the byte budget and the decoder's token limit.  Then, by the
config's loop behaviour (:data:`REFERENCE_LOOP` is the seed's loop, :data:`DEFAULT_LOOP` the default):

- ``select="text"`` (the seed's loop): CLIP(text, image) picks one, p*; K
  images are rendered from p* (K seeds for a deterministic decoder) and
  scored by CLIPSim against the original.  N x M text scorings, N x K renders.
- ``select="renders"``: every candidate is rendered with the round's K seeds
  and the one with the highest *mean* CLIPSim over its renders is p* (what a
  prompt reliably decodes to, not what one text embedding says).
  N x M x K renders.

The round's best (p*, its best seed) replaces the best so far when its
acceptance score (``accept="max"``: the best seed's CLIPSim, the seed's
loop; ``"mean"``: the mean over the K renders) beats the best's by more than
``margin`` (None: the critic's registry ``accept_margin``, 0.01 for the CLIPs).  The file is the best (prompt, seed) at the end.

Models are injected (critic, generator, describer), so tests pass tiny or fake
ones.  The result's image is exactly what a receiver decodes from the file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .backends.base import Critic, DescribeRequest, Describer, Generator, RefineFeedback
from .budget import Budget, shorten
from .container import SemFile, encode_form
from .errors import BackendError, BudgetError, ModelUnavailableError, PromptError
from .imageio import fit_to_size
from .prompt import MAX_TEXT_BYTES, Prompt
from .registry import accept_margin, decoder_by_name, prompt_codec_by_name

from .encoder_config import (  # noqa: F401 - re-exported: encoder.EncoderConfig etc. stay importable
    DEFAULT_BUDGET, TEXT_BYTES_PER_TOKEN, MAX_M, MIN_TEXT_BYTES, SELECT_MODES, ACCEPT_MODES, REFERENCE_LOOP, MEAN_LOOP, DEFAULT_LOOP, EncoderConfig,
)
from .trace import (TRACE_VERSION, CallCounts, CandidateTrace, ImageTrace, IterationTrace,  # noqa: F401
                    RenderedTrace, RenderTrace, ResultTrace)


@dataclass
class EncodeResult:
    data: bytes  # the whole .sem file (or packet) in config.container's form
    sem: SemFile
    best_clipsim: float  # encoder-side CLIPSim of the chosen picture
    best_image: object | None  # PIL image at the original size (what the receiver sees, if deterministic)
    trace: ImageTrace
    seconds: float

    @property
    def file_bytes(self) -> int:
        return len(self.data)

    @property
    def bpp(self) -> float:
        from .container import bpp

        return bpp(len(self.data), self.sem.width, self.sem.height)


@dataclass
class _Best:
    prompt: Prompt
    seed: int | None
    clipsim: float
    image: object
    t: int
    score: float = 0.0  # the acceptance score (config.accept) it won with


@dataclass
class _Clock:
    seconds: dict = field(default_factory=lambda: {"describe": 0.0, "score_text": 0.0, "render": 0.0, "score_image": 0.0, "fit": 0.0})

    def timed(self, key: str, fn, *args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.seconds[key] += time.perf_counter() - start


class Spend:
    """The encode's estimated API spend, and the ``--max-cost`` guard before each paid call."""

    def __init__(self, limit_usd: float | None) -> None:
        self.limit_usd = limit_usd
        self.usd = 0.0

    def check(self, estimate: float, what: str) -> None:
        """Refuse (BudgetError) a call whose estimate would take the spend past the limit."""
        total = self.usd + estimate
        if self.limit_usd is not None and total > self.limit_usd + 1e-12:
            raise BudgetError(
                f"stopping before {what}: estimated spend ${total:.4f} would exceed --max-cost ${self.limit_usd:.4f}"
            )

    def book(self, items) -> None:
        """Add what calls or renders cost (anything with ``cost_usd``), as soon as they return."""
        self.usd += sum(i.cost_usd for i in items)


def text_budget_hint(budget: Budget, config: EncoderConfig) -> int:
    """The canonical-text size the describer is asked to stay within."""
    limit = MAX_TEXT_BYTES
    if config.max_text_bytes is not None:
        limit = min(limit, config.max_text_bytes)
    if budget.decoder.token_limit is not None:
        limit = min(limit, TEXT_BYTES_PER_TOKEN * (budget.decoder.token_limit - 2))
    if budget.max_file_bytes is not None:
        from .container import form_overhead

        payload = budget.max_file_bytes - form_overhead(
            budget.container,
            seed=budget.seed,
            width=budget.width,
            height=budget.height,
            decoder_id=budget.decoder.id,
            codec_id=budget.prompt_codec.id,
        )
        limit = min(limit, max(16, int(payload * budget.prompt_codec.text_per_payload_byte)))
    return limit


def _estimate(obj, kind: str, **kw) -> float:
    fn = getattr(obj, "estimate_cost", None)
    return float(fn(kind, **kw)) if fn is not None else 0.0


def _decoder_json(spec) -> dict:
    return {"id": spec.id, "name": spec.name, "deterministic": spec.deterministic, "source": spec.source}


@dataclass
class _Round:
    """What one round produced: its fitted candidates and their renders."""

    t: int
    mode: str
    candidates: list[Prompt]
    shortened: list[str | None]
    text_scores: np.ndarray
    seeds: list[int | None]
    to_render: list[int]
    renders: dict  # candidate index -> (Rendered list, images at the original size, CLIPSim array)
    calls_before: int


class _Loop:
    """One image's refinement loop; each step of a round is a method: propose, fit, score_texts, render, accept, record."""

    def __init__(self, image, config: EncoderConfig, critic: Critic, generator: Generator, describer: Describer,
                 fallback: Callable[[], Generator] | None) -> None:
        self.config, self.critic, self.generator, self.describer = config, critic, generator, describer
        self.fallback = fallback
        self.spec = decoder_by_name(config.decoder)
        if generator.spec.id != self.spec.id:
            raise ValueError(f"generator is {generator.spec.name}, config asks for {self.spec.name}")
        self.codec = prompt_codec_by_name(config.prompt_codec)
        self.width, self.height = image.size
        self.budget = self._budget(self.spec, generator)
        self.deterministic = self.spec.deterministic
        self.clock = _Clock()
        self.spend = Spend(config.max_cost_usd)
        hint = text_budget_hint(self.budget, config)
        # the acceptance margin: the config's, else the critic's (registry: its accept_margin)
        self.margin = config.margin if config.margin is not None else accept_margin(getattr(critic, "name", None))
        self.trace = ImageTrace(config={**config.to_json(), "margin": self.margin}, decoder=_decoder_json(self.spec),
                                critic=getattr(critic, "name", None), describer=getattr(describer, "name", None),
                                image={"width": self.width, "height": self.height}, text_budget_hint=hint)
        if not self.deterministic:
            self.trace.notes.append(f"{self.spec.name} takes no seed: the file carries no seed and every decode differs")
        self.ref = self.clock.timed("score_image", critic.embed_images, [image])[0]
        self.request = DescribeRequest(image=image, m=config.m, max_text_bytes=hint, caption=config.caption)
        self.best: _Best | None = None

    def _budget(self, dec_spec, gen) -> Budget:
        return Budget(
            decoder=dec_spec,
            prompt_codec=self.codec,
            width=self.width,
            height=self.height,
            seed=self.config.n * self.config.k - 1 if dec_spec.deterministic else None,
            max_file_bytes=self.config.budget_bytes,
            max_text_bytes=self.config.max_text_bytes,
            count_tokens=gen.count_tokens,
            container=self.config.container,
        )

    # -- the steps of a round ------------------------------------------------

    def propose(self, t: int, mode: str) -> list[Prompt]:
        """M descriptions of the image (round 1) or variants of the best prompt so far."""
        self.spend.check(_estimate(self.describer, mode, request=self.request), f"the {mode} call of iteration {t}")
        before = len(self.describer.calls)
        try:
            if self.best is None:
                return self.clock.timed("describe", self.describer.describe, self.request)
            feedback = RefineFeedback(render=self.best.image, score=self.best.clipsim, t=self.best.t)
            return self.clock.timed("describe", self.describer.refine, self.request, self.best.prompt, feedback)
        finally:
            self.spend.book(self.describer.calls[before:])

    def fit(self, t: int, proposals: list[Prompt]) -> tuple[list[Prompt], list[str | None]]:
        """Every proposal fitted to the byte budget and token limit (compress once, then cut)."""
        before = len(self.describer.calls)
        try:
            candidates, shortened = _fit_all(proposals, self.budget, self.describer, self.request, self.clock,
                                             self.spend.check)
        finally:
            self.spend.book(self.describer.calls[before:])
        if not candidates:
            raise BudgetError(f"iteration {t}: no proposed prompt fits the budget ({self.config.budget_bytes} bytes)")
        return candidates, shortened

    def score_texts(self, candidates: list[Prompt]) -> np.ndarray:
        """CLIP(text, original) of every candidate (chunk mean past the context)."""
        texts = [c.text() for c in candidates]
        return np.asarray(self.clock.timed("score_text", self.critic.score_texts, texts, self.ref), dtype=np.float64)

    def render(self, t: int, text: str, seeds: list[int | None], prompts_to_render: list[Prompt]):
        """K renders of one candidate, scored against the original: (renders, images, CLIPSim)."""
        self.spend.check(sum(_estimate(self.generator, "render") for _ in seeds), f"the renders of iteration {t}")
        try:
            rendered = self.clock.timed("render", self.generator.render, text, seeds)
        except ModelUnavailableError as exc:
            if self.fallback is None:
                raise
            self._switch_to_fallback(exc, prompts_to_render)
            self.spend.check(sum(_estimate(self.generator, "render") for _ in seeds), f"the renders of iteration {t}")
            rendered = self.clock.timed("render", self.generator.render, text, seeds)
        self.spend.book(rendered)
        if len(rendered) != len(seeds):
            raise BackendError(f"{self.spec.name} returned {len(rendered)} images for {len(seeds)} requests")
        images = [fit_to_size(r.image, self.width, self.height) for r in rendered]
        embs = self.clock.timed("score_image", self.critic.embed_images, images)
        sims = np.asarray(self.critic.clipsim(embs, self.ref), dtype=np.float64).reshape(-1)
        return rendered, images, sims

    def _switch_to_fallback(self, exc: ModelUnavailableError, prompts: list[Prompt]) -> None:
        """The decoder's model is gone: continue with the substitute, if it can render the same prompts."""
        self.generator = self.fallback()
        self.fallback = None
        self.trace.notes.append(f"{exc}; fell back to {self.generator.spec.name}")
        self.spec = self.generator.spec
        self.budget = self._budget(self.spec, self.generator)
        self.trace.decoder = _decoder_json(self.spec)
        if self.spec.deterministic != self.deterministic or any(self.budget.problem(p) is not None for p in prompts):
            raise BackendError(f"{exc}; the substitute {self.spec.name} cannot render the same prompts") from None

    def accept(self, rnd: _Round) -> tuple[int, int, float, bool]:
        """The round's p* and its best seed; it replaces the best so far past the margin.

        Returns (chosen candidate, best seed's index, acceptance score, improved)."""
        chosen = _choose(self.config, rnd.to_render, rnd.renders, rnd.text_scores)
        _, images, sims = rnd.renders[chosen]
        j = int(np.argmax(sims))
        score = _acceptance_score(self.config, sims)
        improved = self.best is None or score > self.best.score + self.margin
        if improved:
            self.best = _Best(prompt=rnd.candidates[chosen], seed=rnd.seeds[j], clipsim=float(sims[j]),
                              image=images[j], t=rnd.t, score=score)
        return chosen, j, score, improved

    def record(self, rnd: _Round, chosen: int, j: int, score: float, improved: bool) -> None:
        rendered, _, sims = rnd.renders[chosen]
        best = self.best
        self.trace.iterations.append(IterationTrace(
            t=rnd.t,
            mode=rnd.mode,
            prompts=[CandidateTrace(prompt=c.to_dict(), text=c.text(), text_bytes=len(c.text().encode("utf-8")),
                                    file_bytes=self.budget.file_bytes(c), clip_text=float(s), shortened=sh)
                     for c, s, sh in zip(rnd.candidates, rnd.text_scores, rnd.shortened)],
            chosen=chosen,
            renders=[RenderTrace(seed=r.seed, clipsim=float(s), revised_prompt=r.revised_prompt, seconds=r.seconds)
                     for r, s in zip(rendered, sims)],
            rendered=[RenderedTrace(candidate=ci, mean_clipsim=float(np.mean(rnd.renders[ci][2])),
                                    max_clipsim=float(np.max(rnd.renders[ci][2]))) for ci in rnd.to_render],
            renders_made=len(rnd.to_render) * len(rnd.seeds),
            iteration_best_clipsim=float(sims[j]),
            acceptance_score=score,
            improved=bool(improved),
            best_clipsim=best.clipsim,
            best_score=best.score,
            best_t=best.t,
            best_seed=best.seed,
            best_file_bytes=self.budget.file_bytes(best.prompt),
            model_calls=[vars(c) for c in self.describer.calls[rnd.calls_before:]],
            cost_usd=self.spend.usd,
        ))

    # -- the loop --------------------------------------------------------------

    def round(self, t: int) -> bool:
        """Round t; returns whether the best improved."""
        mode = "describe" if self.best is None else "refine"
        calls_before = len(self.describer.calls)
        candidates, shortened = self.fit(t, self.propose(t, mode))
        text_scores = self.score_texts(candidates)
        k = self.config.k
        seeds = [(t - 1) * k + j for j in range(k)] if self.deterministic else [None] * k
        to_render = _to_render(self.config, text_scores)
        renders = {}
        for ci in to_render:
            renders[ci] = self.render(t, candidates[ci].text(), seeds, [candidates[i] for i in to_render])
        rnd = _Round(t, mode, candidates, shortened, text_scores, seeds, to_render, renders, calls_before)
        chosen, j, score, improved = self.accept(rnd)
        self.record(rnd, chosen, j, score, improved)
        return improved

    def run(self, progress: Callable[[int, int], None] | None, start: float) -> EncodeResult:
        stale = 0  # rounds since the best last improved
        config = self.config
        for t in range(1, config.n + 1):
            stale = 0 if self.round(t) else stale + 1
            if progress is not None:
                progress(t, config.n)
            if config.patience is not None and stale >= config.patience and t < config.n:
                self.trace.notes.append(f"stopped early after round {t}: no improvement for {stale} round(s)")
                self.trace.stopped_early = t
                break
        return self.finish(start)

    def finish(self, start: float) -> EncodeResult:
        """The best (prompt, seed) as a file, and the trace's summary."""
        best = self.best
        assert best is not None
        sem = SemFile(prompt=best.prompt, decoder=self.spec, prompt_codec=self.codec, seed=best.seed,
                      width=self.width, height=self.height, version=1 if self.config.container == "v1" else 2)
        data = encode_form(sem, self.config.container)
        if self.config.budget_bytes is not None and len(data) > self.config.budget_bytes:  # the budget used the largest seed
            raise AssertionError("budget accounting error")  # pragma: no cover
        seconds = time.perf_counter() - start
        from .container import bpp

        tr = self.trace
        tr.result = ResultTrace(file_bytes=len(data), bpp=bpp(len(data), self.width, self.height), seed=best.seed,
                                clipsim=best.clipsim, best_t=best.t, prompt=best.prompt.to_dict(), text=best.prompt.text(),
                                container=self.config.container)
        tr.timings_s = {**{k: round(v, 6) for k, v in self.clock.seconds.items()}, "total": round(seconds, 6)}
        tr.cost_usd_estimate = self.spend.usd
        tr.calls = CallCounts(text_scorings=sum(len(it.prompts) for it in tr.iterations),
                              renders=sum(it.renders_made for it in tr.iterations),
                              model_calls=sum(len(it.model_calls) for it in tr.iterations))
        return EncodeResult(data=data, sem=sem, best_clipsim=best.clipsim, best_image=best.image, trace=tr,
                            seconds=seconds)


def encode_image(
    image,
    *,
    config: EncoderConfig,
    critic: Critic,
    generator: Generator,
    describer: Describer,
    progress: Callable[[int, int], None] | None = None,
    fallback: Callable[[], Generator] | None = None,
) -> EncodeResult:
    """Run the refinement loop on one RGB PIL image and return the coded file.

    ``fallback``: called once, if the generator's endpoint answers that its
    model is unavailable (a retired API model), to get a substitute generator;
    the file then names the substitute's decoder and the trace says so.
    """
    config.validate()
    start = time.perf_counter()
    return _Loop(image, config, critic, generator, describer, fallback).run(progress, start)


def _to_render(config: EncoderConfig, text_scores: np.ndarray) -> list[int]:
    """Which candidates the round renders: the text-score winner only, or all of them."""
    if config.select == "text":
        return [int(np.argmax(text_scores))]
    return list(range(len(text_scores)))


def _choose(config: EncoderConfig, rendered: list[int], renders: dict, text_scores: np.ndarray) -> int:
    """The round's p*: the only rendered candidate, or the best mean render CLIPSim (text score breaks ties)."""
    if len(rendered) == 1:
        return rendered[0]
    return max(rendered, key=lambda ci: (float(np.mean(renders[ci][2])), float(text_scores[ci]), -ci))


def _acceptance_score(config: EncoderConfig, sims: np.ndarray) -> float:
    """What a round's p* competes with the best so far on: its best seed's CLIPSim or the mean over seeds."""
    return float(np.max(sims)) if config.accept == "max" else float(np.mean(sims))


def _fit_all(proposals, budget: Budget, describer: Describer, request: DescribeRequest, clock: _Clock,
             charge: Callable[[float, str], None]):
    """``charge`` is :meth:`Spend.check`: called with each compress call's estimate before it is made."""
    """Fit every proposal to the budget: ask the describer to compress once, then cut."""
    out: list[Prompt] = []
    how: list[str | None] = []
    for p in proposals:
        if budget.fits(p):
            out.append(p)
            how.append(None)
            continue
        method = "cut"
        compress = getattr(describer, "compress", None)
        if compress is not None:
            charge(_estimate(describer, "compress", request=request), "a compress call")
            try:
                q = clock.timed("describe", compress, request, p)
                if budget.fits(q):
                    out.append(q)
                    how.append("compress")
                    continue
                p, method = q, "compress+cut"
            except (BackendError, PromptError, NotImplementedError):
                pass
        try:
            out.append(clock.timed("fit", shorten, p, budget))
            how.append(method)
        except BudgetError:
            continue
    return out, how
