"""Small deterministic stand-ins for the three model interfaces, for loop tests.

They are honest models of a toy world: the critic embeds an image by its mean
colour and a text by the colour words it names, so a prompt that names the
right colour really does score higher, and the generator paints the colours a
prompt names (with seed-dependent noise), so refinement and seed choice have a
real effect.
"""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

from semcodec.backends.base import DescribeRequest, ModelCall, Rendered
from semcodec.prompt import Prompt
from semcodec.registry import DecoderSpec, decoder_by_name

COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 200, 40),
    "blue": (30, 40, 220),
    "yellow": (230, 220, 40),
    "white": (240, 240, 240),
    "black": (15, 15, 15),
}


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.where(n == 0, 1, n)).astype(np.float32)


def _colour_vec(rgb) -> np.ndarray:
    r, g, b = (np.asarray(rgb, dtype=np.float64) / 255.0) - 0.5
    return np.array([r, g, b, 0.3])


class HistCritic:
    """A tiny deterministic image critic for the bench tests: an 8-bin-per-channel
    colour histogram, unit-normalised (image embeddings only; no text side)."""

    def __init__(self, name: str = "hist") -> None:
        self.name = name
        self.context_length = 77

    def embed_images(self, images):
        rows = []
        for im in images:
            a = np.asarray(im.convert("RGB"))
            h = np.concatenate([np.bincount(a[..., c].ravel() // 32, minlength=8) for c in range(3)]).astype(np.float64)
            rows.append(h / np.linalg.norm(h))
        return np.stack(rows).astype(np.float32)


class FakeCritic:
    name = "fake-colour-critic"
    context_length = 77

    def __init__(self) -> None:
        self.text_scorings = 0  # number of texts scored
        self.score_calls = 0
        self.image_embeds = 0

    def embed_images(self, images):
        self.image_embeds += len(images)
        rows = [_colour_vec(np.asarray(im.convert("RGB"), dtype=np.float64).reshape(-1, 3).mean(0)) for im in images]
        return _unit(np.stack(rows))

    def chunk_text(self, text):
        words = text.split()
        return [" ".join(words[i : i + 60]) for i in range(0, max(1, len(words)), 60)] or [""]

    def embed_texts(self, texts):
        rows = []
        for t in texts:
            named = [COLOURS[w] for w in t.lower().replace(",", " ").split() if w in COLOURS]
            rows.append(_colour_vec(np.mean(named, axis=0)) if named else np.array([0, 0, 0, 1.0]))
        return _unit(np.stack(rows))

    def score_texts(self, texts, image_embedding):
        self.score_calls += 1
        self.text_scorings += len(texts)
        return self.embed_texts(texts) @ np.asarray(image_embedding)

    def clipsim(self, a, b):
        return np.asarray(a) @ np.asarray(b)


class FakeGenerator:
    """Paints the mean of the colours named in the text, plus seeded noise."""

    def __init__(self, name: str = "sd-turbo", size: int = 32, token_limit_words: int | None = None) -> None:
        self.spec: DecoderSpec = decoder_by_name(name)
        self.size = size
        self.renders = 0
        self.token_limit_words = token_limit_words

    def count_tokens(self, text: str):
        return len(text.split()) + 2 if self.spec.token_limit else None

    def render(self, text, seeds):
        out = []
        named = [COLOURS[w] for w in text.lower().replace(",", " ").split() if w in COLOURS]
        base = np.mean(named, axis=0) if named else np.array([128.0, 128.0, 128.0])
        for seed in seeds:
            self.renders += 1
            key = hashlib.sha256(f"{text}|{seed if self.spec.deterministic else self.renders}".encode()).digest()
            rng = np.random.default_rng(int.from_bytes(key[:8], "little"))
            px = np.clip(base + rng.normal(0, 40, size=(self.size, self.size, 3)) + rng.normal(0, 30, size=3), 0, 255)
            out.append(Rendered(image=Image.fromarray(px.astype(np.uint8), "RGB"), seed=seed))
        return out


class FakeDescriber:
    """Proposes colour descriptions; refines by swapping in other colours."""

    name = "fake"

    def __init__(self, words_per_object: int = 3, fail_at_call: int | None = None) -> None:
        self.calls: list[ModelCall] = []
        self.words = words_per_object
        self.fail_at_call = fail_at_call

    def _record(self, kind):
        self.calls.append(ModelCall(kind=kind, model="fake", seconds=0.0))
        if self.fail_at_call is not None and len(self.calls) >= self.fail_at_call:
            from semcodec.errors import BackendError

            raise BackendError("fake API failure")

    def _prompt(self, colour: str, i: int) -> Prompt:
        filler = " ".join(["plain"] * self.words)
        return Prompt(
            scene=f"a {colour} square scene number {i}",
            objects=(f"a {colour} {filler} shape", f"a small {filler} thing", f"another {filler} item"),
            lighting="flat even light",
            style="digital art",
        )

    def describe(self, request: DescribeRequest):
        self._record("describe")
        names = list(COLOURS)
        return [self._prompt(names[i % len(names)], i) for i in range(request.m)]

    def refine(self, request: DescribeRequest, best: Prompt, feedback=None):
        self._record("refine")
        names = list(COLOURS)
        out = [best]
        i = len(self.calls)
        while len(out) < request.m:
            out.append(self._prompt(names[(i + len(out)) % len(names)], i))
        return out

    def compress(self, request: DescribeRequest, prompt: Prompt):
        self._record("compress")
        return prompt.replace(style=None)
