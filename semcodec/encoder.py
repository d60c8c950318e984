"""The encoder: CLIP-guided prompt refinement (spec/encoder.md).

Per image: embed the original once.  For t = 1..N the describer proposes M
prompts (descriptions at t = 1, variations of the best prompt so far after),
each fitted to the byte budget and the decoder's token limit.  Then, by the
config's loop behaviour (:data:`REFERENCE_LOOP` is the seed's loop):

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
``margin``.  The file is the best (prompt, seed) at the end.

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
from .container import SemFile
from .errors import BackendError, BudgetError, ModelUnavailableError, PromptError
from .imageio import fit_to_size
from .prompt import MAX_TEXT_BYTES, Prompt
from .registry import decoder_by_name, prompt_codec_by_name

TRACE_VERSION = 1
from .encoder_config import (  # noqa: F401 - re-exported: encoder.EncoderConfig etc. stay importable
    DEFAULT_BUDGET, TEXT_BYTES_PER_TOKEN, MAX_M, MIN_TEXT_BYTES, SELECT_MODES, ACCEPT_MODES, REFERENCE_LOOP, MEAN_LOOP, EncoderConfig,
)


@dataclass
class EncodeResult:
    data: bytes  # the whole .sem file
    sem: SemFile
    best_clipsim: float  # encoder-side CLIPSim of the chosen picture
    best_image: object | None  # PIL image at the original size (what the receiver sees, if deterministic)
    trace: dict
    seconds: float

    @property
    def file_bytes(self) -> int:
        return len(self.data)

    @property
    def bpp(self) -> float:
        return 8.0 * len(self.data) / (self.sem.width * self.sem.height)


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


def text_budget_hint(budget: Budget, config: EncoderConfig) -> int:
    """The canonical-text size the describer is asked to stay within."""
    limit = MAX_TEXT_BYTES
    if config.max_text_bytes is not None:
        limit = min(limit, config.max_text_bytes)
    if budget.decoder.token_limit is not None:
        limit = min(limit, TEXT_BYTES_PER_TOKEN * (budget.decoder.token_limit - 2))
    if budget.max_file_bytes is not None:
        from .container import overhead_bytes

        payload = budget.max_file_bytes - overhead_bytes(
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
    start_all = time.perf_counter()
    spec = decoder_by_name(config.decoder)
    if generator.spec.id != spec.id:
        raise ValueError(f"generator is {generator.spec.name}, config asks for {spec.name}")
    codec = prompt_codec_by_name(config.prompt_codec)
    width, height = image.size

    def make_budget(dec_spec, gen) -> Budget:
        return Budget(
            decoder=dec_spec,
            prompt_codec=codec,
            width=width,
            height=height,
            seed=config.n * config.k - 1 if dec_spec.deterministic else None,
            max_file_bytes=config.budget_bytes,
            max_text_bytes=config.max_text_bytes,
            count_tokens=gen.count_tokens,
        )

    budget = make_budget(spec, generator)
    deterministic = spec.deterministic
    hint = text_budget_hint(budget, config)
    clock = _Clock()
    trace: dict = {
        "trace_version": TRACE_VERSION,
        "config": config.to_json(),
        "decoder": {"id": spec.id, "name": spec.name, "deterministic": deterministic, "source": spec.source},
        "critic": getattr(critic, "name", None),
        "describer": getattr(describer, "name", None),
        "image": {"width": width, "height": height},
        "text_budget_hint": hint,
        "notes": [],
        "iterations": [],
    }
    if not deterministic:
        trace["notes"].append(f"{spec.name} takes no seed: the file carries no seed and every decode differs")
    spent = {"usd": 0.0}  # estimated spend so far, updated as soon as each call returns

    def charge(estimate: float, what: str) -> None:
        total = spent["usd"] + estimate
        if config.max_cost_usd is not None and total > config.max_cost_usd + 1e-12:
            raise BudgetError(
                f"stopping before {what}: estimated spend ${total:.4f} would exceed --max-cost ${config.max_cost_usd:.4f}"
            )

    def book(calls) -> None:
        spent["usd"] += sum(c.cost_usd for c in calls)

    ref = clock.timed("score_image", critic.embed_images, [image])[0]
    request = DescribeRequest(image=image, m=config.m, max_text_bytes=hint, caption=config.caption)
    best: _Best | None = None
    stale = 0  # rounds since the best last improved
    for t in range(1, config.n + 1):
        mode = "describe" if best is None else "refine"
        charge(_estimate(describer, mode, request=request), f"the {mode} call of iteration {t}")
        calls_before = len(describer.calls)
        try:
            if best is None:
                proposals = clock.timed("describe", describer.describe, request)
            else:
                feedback = RefineFeedback(render=best.image, score=best.clipsim, t=best.t)
                proposals = clock.timed("describe", describer.refine, request, best.prompt, feedback)
        finally:
            book(describer.calls[calls_before:])
        fitted_before = len(describer.calls)
        try:
            candidates, shortened = _fit_all(proposals, budget, describer, request, clock, charge)
        finally:
            book(describer.calls[fitted_before:])
        if not candidates:
            raise BudgetError(f"iteration {t}: no proposed prompt fits the budget ({config.budget_bytes} bytes)")
        texts = [c.text() for c in candidates]
        text_scores = np.asarray(clock.timed("score_text", critic.score_texts, texts, ref), dtype=np.float64)
        seeds = [(t - 1) * config.k + j for j in range(config.k)] if deterministic else [None] * config.k
        to_render = _to_render(config, text_scores)
        round_renders: dict[int, tuple] = {}
        for ci in to_render:
            charge(sum(_estimate(generator, "render") for _ in seeds), f"the renders of iteration {t}")
            try:
                rendered = clock.timed("render", generator.render, candidates[ci].text(), seeds)
            except ModelUnavailableError as exc:
                if fallback is None:
                    raise
                generator = fallback()
                fallback = None
                trace["notes"].append(f"{exc}; fell back to {generator.spec.name}")
                spec = generator.spec
                budget = make_budget(spec, generator)
                trace["decoder"] = {"id": spec.id, "name": spec.name, "deterministic": spec.deterministic, "source": spec.source}
                if spec.deterministic != deterministic or any(budget.problem(candidates[i]) is not None for i in to_render):
                    raise BackendError(f"{exc}; the substitute {spec.name} cannot render the same prompts") from None
                charge(sum(_estimate(generator, "render") for _ in seeds), f"the renders of iteration {t}")
                rendered = clock.timed("render", generator.render, candidates[ci].text(), seeds)
            spent["usd"] += sum(r.cost_usd for r in rendered)
            if len(rendered) != len(seeds):
                raise BackendError(f"{spec.name} returned {len(rendered)} images for {len(seeds)} requests")
            images = [fit_to_size(r.image, width, height) for r in rendered]
            embs = clock.timed("score_image", critic.embed_images, images)
            sims = np.asarray(critic.clipsim(embs, ref), dtype=np.float64).reshape(-1)
            round_renders[ci] = (rendered, images, sims)
        chosen = _choose(config, to_render, round_renders, text_scores)
        p_star = candidates[chosen]
        rendered, images, sims = round_renders[chosen]
        j = int(np.argmax(sims))
        score = _acceptance_score(config, sims)
        improved = best is None or score > best.score + config.margin
        if improved:
            best = _Best(prompt=p_star, seed=seeds[j], clipsim=float(sims[j]), image=images[j], t=t, score=score)
            stale = 0
        else:
            stale += 1
        new_calls = describer.calls[calls_before:]
        trace["iterations"].append(
            {
                "t": t,
                "mode": mode,
                "prompts": [
                    {
                        "prompt": c.to_dict(),
                        "text": c.text(),
                        "text_bytes": len(c.text().encode("utf-8")),
                        "file_bytes": budget.file_bytes(c),
                        "clip_text": float(s),
                        "shortened": sh,
                    }
                    for c, s, sh in zip(candidates, text_scores, shortened)
                ],
                "chosen": chosen,
                "renders": [
                    {"seed": r.seed, "clipsim": float(s), "revised_prompt": r.revised_prompt, "seconds": r.seconds}
                    for r, s in zip(rendered, sims)
                ],
                "rendered": [
                    {"candidate": ci, "mean_clipsim": float(np.mean(round_renders[ci][2])),
                     "max_clipsim": float(np.max(round_renders[ci][2]))} for ci in to_render
                ],
                "renders_made": len(to_render) * len(seeds),
                "iteration_best_clipsim": float(sims[j]),
                "acceptance_score": score,
                "improved": bool(improved),
                "best_clipsim": best.clipsim,
                "best_score": best.score,
                "best_t": best.t,
                "best_seed": best.seed,
                "best_file_bytes": budget.file_bytes(best.prompt),
                "model_calls": [vars(c) for c in new_calls],
                "cost_usd": spent["usd"],
            }
        )
        if progress is not None:
            progress(t, config.n)
        if config.patience is not None and stale >= config.patience and t < config.n:
            trace["notes"].append(f"stopped early after round {t}: no improvement for {stale} round(s)")
            trace["stopped_early"] = t
            break
    assert best is not None
    sem = SemFile(prompt=best.prompt, decoder=spec, prompt_codec=codec, seed=best.seed, width=width, height=height)
    data = sem.to_bytes()
    if config.budget_bytes is not None and len(data) > config.budget_bytes:  # the budget used the largest seed
        raise AssertionError("budget accounting error")  # pragma: no cover
    seconds = time.perf_counter() - start_all
    trace["result"] = {
        "file_bytes": len(data),
        "bpp": 8.0 * len(data) / (width * height),
        "seed": best.seed,
        "clipsim": best.clipsim,
        "best_t": best.t,
        "prompt": best.prompt.to_dict(),
        "text": best.prompt.text(),
    }
    trace["timings_s"] = {**{k: round(v, 6) for k, v in clock.seconds.items()}, "total": round(seconds, 6)}
    trace["cost_usd_estimate"] = spent["usd"]
    trace["calls"] = {
        "text_scorings": sum(len(it["prompts"]) for it in trace["iterations"]),
        "renders": sum(it["renders_made"] for it in trace["iterations"]),
        "model_calls": sum(len(it["model_calls"]) for it in trace["iterations"]),
    }
    return EncodeResult(data=data, sem=sem, best_clipsim=best.clipsim, best_image=best.image, trace=trace, seconds=seconds)


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
