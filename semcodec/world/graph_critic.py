"""world-graph: a critic that binds attributes, because it compares scene graphs.

The synthetic world's CLIPs (world-clip, world-judge) embed a text as a bag of
words, so "three small black circles" and "a small black triangle, three
circles" land close together: their attribute binding is ~78%
(``tools/world_binding.py``).  This critic has the same interface
(:class:`~semcodec.backends.base.Critic`: text–image score, image–image
CLIPSim, unit embeddings) over one shared space, the *scene-graph space*:

- the **image tower** is a trained network of the world-seer architecture
  (:mod:`semcodec.world.seer`; a second instance with its own seed and
  training sample, ``data/world-graph/``), whose per-head probabilities become
  the embedding;
- the **text tower** is the world grammar (:func:`~semcodec.world.grammar.parse_text`,
  exactly what the world-v1 decoder renders): a text becomes the same
  embedding with certainty.

The embedding (306 dims, L2-normalised) is the square root of the
probabilities, by block: the scene (12), the lighting (6), and for each of the
48 (colour, shape) slots the joint (count 1..3) × (size small, large) (6; an
absent slot is all zeros, a text that names no size spreads over both).  The
cosine of two such vectors is a Bhattacharyya coefficient per block, weighted
by the blocks' mass: the true text of a picture scores higher than the same
text with one attribute changed exactly when the network gives the true value
more probability than the changed one.  Text has no token limit here (a text
is never chunked).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from .grammar import parse_text

MODEL_NAME = "world-graph"
NO_TOKEN_LIMIT = 1 << 30  # context_length: a text is one chunk, whatever its length


@lru_cache(maxsize=None)
def _layout():
    """(labels, scene dims, lighting dims, slots, embedding dims): fixed by the world's vocabulary."""
    from .seer import labels

    lab = labels()
    n_s, n_l, n_slots = len(lab.scenes), len(lab.lighting), len(lab.slots)
    return lab, n_s, n_l, n_slots, n_s + n_l + n_slots * 6


def belief_embedding(belief) -> np.ndarray:
    """A :class:`~semcodec.world.seer.SlotBelief` -> its unit embedding (float32)."""
    lab, n_s, n_l, n_slots, dim = _layout()
    v = np.zeros(dim, np.float64)
    v[:n_s] = np.sqrt(belief.scene)
    v[n_s:n_s + n_l] = np.sqrt(belief.lighting)
    joint = belief.count[:, 1:, None] * belief.size[:, None, :]  # (48, 3, 2): P(count c, size s)
    v[n_s + n_l:] = np.sqrt(joint).reshape(-1)
    return (v / np.linalg.norm(v)).astype(np.float32)


def text_embedding(text: str) -> np.ndarray:
    """A text -> the embedding of the scene graph the world grammar reads from it (unit, float32)."""
    lab, n_s, n_l, n_slots, dim = _layout()
    scene = parse_text(text)
    v = np.zeros(dim, np.float64)
    if scene.scene is not None:
        v[lab.scenes.index(scene.scene)] = 1.0
    v[n_s + lab.lighting.index(scene.lighting or "daylight")] = 1.0  # no lighting named: the decoder's daylight
    for g in scene.objects:
        if (g.colour, g.shape) not in lab.slots:  # a grey (uncoloured) object has no slot
            continue
        j = lab.slot_index(g.colour, g.shape)
        base = n_s + n_l + j * 6 + (g.count - 1) * 2
        if g.size in lab.sizes:
            v[base + lab.sizes.index(g.size)] = 1.0
        else:  # medium / unnamed size: as likely small as large
            v[base:base + 2] = np.sqrt(0.5)
    return (v / np.linalg.norm(v)).astype(np.float32)


class GraphCritic:
    """The :class:`~semcodec.backends.base.Critic` interface over the scene-graph space."""

    context_length = NO_TOKEN_LIMIT

    def __init__(self, model, name: str = MODEL_NAME) -> None:
        self.model = model  # a semcodec.world.seer.SeerModel
        self.name = name

    def embed_images(self, images: Sequence[Any]) -> np.ndarray:
        beliefs = self.model.beliefs([im.convert("RGB") for im in images])
        return np.stack([belief_embedding(b) for b in beliefs]) if beliefs else np.zeros((0, _layout()[-1]), np.float32)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([text_embedding(t) for t in texts]) if texts else np.zeros((0, _layout()[-1]), np.float32)

    def chunk_text(self, text: str) -> list[str]:
        return [text]

    def score_texts(self, texts: Sequence[str], image_embedding: np.ndarray) -> np.ndarray:
        return self.embed_texts(texts) @ np.asarray(image_embedding, np.float32)

    def clipsim(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
        return a @ b if b.ndim == 1 else np.sum(a * b, axis=-1)


def load_critic(name: str = MODEL_NAME, *, device: str | None = None, model_dir=None) -> GraphCritic:
    """The registry entry ``name`` (family ``world-graph``): its network from ``model_dir/<name>/`` when
    that folder holds one, else the weights shipped in the package."""
    from ..models import locate_weights
    from ..registry import critic_by_name
    from .seer import SeerModel

    folder = locate_weights(critic_by_name(name), model_dir)  # MissingError if incomplete
    return GraphCritic(SeerModel.load(folder, device=device), name=name)
