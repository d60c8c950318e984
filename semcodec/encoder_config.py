"""The encoder's settings: one owner for the loop's defaults and limits (N, M, K, budget, loop behaviour).

Light (no numpy): the command-line options of semenc, sembench rd and sembench
speed are built from it (``semcodec.cli.loop_options``).  ``semcodec.encoder``
re-exports everything here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .container import DEFAULT_FORM, FORMS
from .errors import ConfigError
from .registry import DEFAULT_DECODER, DEFAULT_PROMPT_CODEC

DEFAULT_BUDGET = 160
# Canonical-text bytes per text-encoder token, roughly, for English prompts
# under CLIP's BPE: caps the describer's target when the decoder has a token
# limit.  The budget and the limit themselves are enforced exactly by
# semcodec.budget; the hint only steers the describer.
TEXT_BYTES_PER_TOKEN = 4
MAX_M = 32  # proposals per round (the describers' JSON schema allows no more)
MIN_TEXT_BYTES = 8
SELECT_MODES = ("text", "renders")
ACCEPT_MODES = ("max", "mean")
# The seed's loop (semenc --preset reference; EncoderConfig(**REFERENCE_LOOP)).
REFERENCE_LOOP = {"select": "text", "accept": "max", "margin": 0.0}
# Render every candidate, choose and accept by the mean over the K renders: an option (M x the renders).
MEAN_LOOP = {"select": "renders", "accept": "mean", "margin": 0.0}
# The default loop: the seed's choice of p* by CLIP(text, image), but a round's p* replaces
# the best only when the *mean* CLIPSim over its K renders beats the best's by more than the
# critic's margin (margin None: the critic's registry ``accept_margin``, 0.01 for the CLIPs, 0.1
# for world-graph), at the seed's cost (N x K renders).  Chosen on world development scenes (seed
# 5150); measured on held-out scenes in README / bench/results/world.
DEFAULT_LOOP = {"select": "text", "accept": "mean", "margin": None}


@dataclass
class EncoderConfig:
    n: int = 4  # iterations
    m: int = 3  # prompts proposed per iteration
    k: int = 4  # renders (seeds) per iteration
    budget_bytes: int | None = DEFAULT_BUDGET  # whole-file budget; None = no limit
    max_text_bytes: int | None = None  # optional cap on the canonical text itself
    decoder: str = DEFAULT_DECODER
    prompt_codec: str = DEFAULT_PROMPT_CODEC
    # the container written and counted by the budget: "v1", "v2" (spec/sem-v2.md) or "packet" (its packet form)
    container: str = DEFAULT_FORM
    caption: str | None = None  # optional initial caption given to the describer
    max_cost_usd: float | None = None  # stop before the estimated API spend would exceed this
    patience: int | None = None  # stop early after this many rounds without improvement
    # loop behaviour (module docstring); REFERENCE_LOOP restores the seed's loop
    select: str = DEFAULT_LOOP["select"]
    accept: str = DEFAULT_LOOP["accept"]
    margin: float | None = DEFAULT_LOOP["margin"]

    def validate(self) -> None:
        if self.container not in FORMS:
            raise ConfigError(f"container must be one of {', '.join(FORMS)}")
        if self.select not in SELECT_MODES:
            raise ConfigError(f"select must be one of {', '.join(SELECT_MODES)}")
        if self.accept not in ACCEPT_MODES:
            raise ConfigError(f"accept must be one of {', '.join(ACCEPT_MODES)}")
        if self.margin is not None and (not isinstance(self.margin, (int, float)) or not 0.0 <= self.margin < 1.0):
            raise ConfigError("margin must be in [0, 1) (or None: the critic's)")
        for name, top in (("n", 64), ("m", MAX_M), ("k", 64)):
            v = getattr(self, name)
            if not isinstance(v, int) or not 1 <= v <= top:
                raise ConfigError(f"{name} must be an integer in 1..{top}")
        if self.max_text_bytes is not None and self.max_text_bytes < MIN_TEXT_BYTES:
            raise ConfigError(f"max_text_bytes must be at least {MIN_TEXT_BYTES}")
        if self.patience is not None and self.patience < 1:
            raise ConfigError("patience must be at least 1")
        if self.n * self.k > 128:
            raise ConfigError("n*k must be <= 128 so every seed is one byte")
        if self.budget_bytes is not None and self.budget_bytes < 16:
            raise ConfigError("a budget below 16 bytes cannot hold a .sem file")

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}
