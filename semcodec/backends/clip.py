"""The CLIP critic through open_clip: image and text embeddings, chunked text scores.

Embeddings are float32 numpy rows of unit length.  Text longer than CLIP's
77-token context (BOS/EOS included) is never truncated: :meth:`chunk_text`
splits it at whitespace, measuring every piece with the CLIP tokenizer itself,
into the fewest greedy pieces that each fit, and :meth:`score_texts` returns
the **mean of the chunk cosines**.  (A single "word" longer than the context,
e.g. a long run of punctuation, is split between characters as a last resort.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import BackendError, InputError, MissingError
from ..models import locate_weights
from ..registry import DEFAULT_CRITIC, CriticSpec, critic_by_name
from .device import LOCAL_EXTRA, import_torch, is_gpu, pick_device

BATCH = 32  # images or text chunks per forward pass
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pth", ".pt")


def _import_open_clip() -> Any:
    try:
        import open_clip
    except ImportError:
        raise MissingError(f"the CLIP critic needs open_clip_torch, which is not installed; {LOCAL_EXTRA}") from None
    return open_clip


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    if np.any(norms == 0) or not np.all(np.isfinite(norms)):
        raise BackendError("the CLIP model produced a zero or non-finite embedding")
    return (x / norms).astype(np.float32)


class ClipCritic:
    """A :class:`~semcodec.backends.base.Critic` over an open_clip model."""

    def __init__(self, spec: CriticSpec, model: Any, preprocess: Any, tokenizer: Any, *, device: str) -> None:
        self.spec = spec
        self.name = spec.name
        self.model = model
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        self.device = device
        self.context_length = int(tokenizer.context_length)
        # input dtype: that of the patch embedding (fp16 on a GPU; open_clip keeps
        # embeddings and layer norms in fp32 and casts inside, as OpenAI's CLIP does)
        conv = getattr(getattr(model, "visual", None), "conv1", None)
        self._dtype = conv.weight.dtype if conv is not None else next(model.parameters()).dtype

    # -- tokens and chunks ----------------------------------------------------
    def count_tokens(self, text: str) -> int:
        """CLIP tokens of ``text``, BOS/EOS included."""
        return len(self.tokenizer.encode(text)) + 2

    def _fits(self, text: str) -> bool:
        return self.count_tokens(text) <= self.context_length

    def _split_word(self, word: str) -> list[str]:
        """Split one over-long word between characters into fitting pieces (none lost)."""
        pieces, cur = [], ""
        for ch in word:
            if cur and not self._fits(cur + ch):
                pieces.append(cur)
                cur = ""
            cur += ch
        if cur:
            pieces.append(cur)
        return pieces

    def chunk_text(self, text: str) -> list[str]:
        """``text`` itself if it fits, else greedy whitespace-joined pieces that each fit."""
        if self._fits(text):
            return [text]
        chunks: list[str] = []
        cur: list[str] = []
        for word in text.split():
            if self._fits(" ".join(cur + [word])):
                cur.append(word)
                continue
            if cur:
                chunks.append(" ".join(cur))
                cur = []
            if self._fits(word):
                cur = [word]
            else:
                *full, last = self._split_word(word)
                chunks.extend(full)
                cur = [last]
        if cur:
            chunks.append(" ".join(cur))
        return chunks

    # -- embeddings -------------------------------------------------------------
    def embed_images(self, images: Sequence[Any]) -> np.ndarray:
        """(n, d) unit float32 embeddings of PIL images (any mode; converted to RGB)."""
        torch = import_torch()
        rows = []
        for start in range(0, len(images), BATCH):
            batch = []
            for img in images[start : start + BATCH]:
                if not hasattr(img, "convert"):
                    raise InputError(f"embed_images wants PIL images, not {type(img).__name__}")
                batch.append(self.preprocess(img.convert("RGB")))
            x = torch.stack(batch).to(device=self.device, dtype=self._dtype)
            with torch.inference_mode():
                rows.append(self.model.encode_image(x).float().cpu().numpy())
        if not rows:
            return np.zeros((0, self.embed_dim), dtype=np.float32)
        return _unit(np.concatenate(rows))

    def _embed_chunks(self, chunks: Sequence[str]) -> np.ndarray:
        torch = import_torch()
        rows = []
        for start in range(0, len(chunks), BATCH):
            part = list(chunks[start : start + BATCH])
            for c in part:
                if not self._fits(c):  # chunk_text guarantees this; never let the tokenizer truncate
                    raise BackendError(f"internal: a text chunk of {self.count_tokens(c)} tokens exceeds the context")
            tokens = self.tokenizer(part).to(self.device)
            with torch.inference_mode():
                rows.append(self.model.encode_text(tokens).float().cpu().numpy())
        if not rows:
            return np.zeros((0, self.embed_dim), dtype=np.float32)
        return _unit(np.concatenate(rows))

    def _chunk_embeddings(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Unit embeddings of every chunk of every text, and each text's chunk count."""
        chunked = [self.chunk_text(t) for t in texts]
        flat = [c for cs in chunked for c in cs]
        return self._embed_chunks(flat), [len(cs) for cs in chunked]

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(n, d) unit rows; a multi-chunk text gets the normalised mean of its chunk embeddings."""
        emb, counts = self._chunk_embeddings(texts)
        out = np.zeros((len(texts), emb.shape[1] if emb.size else self.embed_dim), dtype=np.float32)
        i = 0
        for row, n in enumerate(counts):
            out[row] = emb[i : i + n].mean(axis=0)
            i += n
        return _unit(out) if len(texts) else out

    def score_texts(self, texts: Sequence[str], image_embedding: np.ndarray) -> np.ndarray:
        """(n,) cosine of each text with one unit image embedding: the mean over the text's chunks."""
        img = np.asarray(image_embedding, dtype=np.float32).reshape(-1)
        emb, counts = self._chunk_embeddings(texts)
        cos = emb @ img if emb.size else np.zeros(0, dtype=np.float32)
        out = np.empty(len(texts), dtype=np.float32)
        i = 0
        for row, n in enumerate(counts):
            out[row] = cos[i : i + n].mean()
            i += n
        return out

    def clipsim(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Cosine of unit embeddings: row-wise for equal shapes, or (n,d) against (d,)."""
        a = np.asarray(a, dtype=np.float32)
        b = np.asarray(b, dtype=np.float32)
        if a.ndim == 1 and b.ndim == 1:
            return np.asarray(np.dot(a, b), dtype=np.float32)
        if b.ndim == 1:
            return (a @ b).astype(np.float32)
        if a.ndim == 1:
            return (b @ a).astype(np.float32)
        return np.sum(a * b, axis=-1).astype(np.float32)

    @property
    def embed_dim(self) -> int:
        return int(getattr(self.model, "embed_dim", 0) or self.model.text_projection.shape[-1])


def _checkpoint(folder: Path) -> Path:
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)
    found.sort(key=lambda p: p.suffix != ".safetensors")
    if not found:
        raise MissingError(f"{folder}/ holds no CLIP weights file")
    return found[0]


def load_critic(
    name: str = DEFAULT_CRITIC, *, device: str | None = None, model_dir: str | os.PathLike | None = None
) -> ClipCritic:
    """Load a critic registry entry (``name`` may be "critic"/"judge" for the defaults).

    From ``model_dir/<name>/`` when present (open_clip's hub layout:
    ``open_clip_config.json`` + weights), else the HF cache or hub at the pinned
    revision; MissingError at once when none can supply it.  fp16 on a GPU.
    """
    spec = critic_by_name(name)
    folder = locate_weights(spec, model_dir)  # first: a missing model fails before the heavy imports
    open_clip = _import_open_clip()
    dev = pick_device(device)
    precision = "fp16" if is_gpu(dev) else "fp32"
    try:
        if (folder / "open_clip_config.json").is_file():
            source = f"local-dir:{folder}"
            model, _, preprocess = open_clip.create_model_and_transforms(source, precision=precision, device=dev)
            tokenizer = open_clip.get_tokenizer(source)
        else:  # a repo without open_clip's config: the built-in architecture + the tag's preprocessing
            tag = open_clip.get_pretrained_cfg(spec.arch, spec.pretrained) or {}
            model, _, preprocess = open_clip.create_model_and_transforms(
                spec.arch,
                pretrained=str(_checkpoint(folder)),
                precision=precision,
                device=dev,
                image_mean=tag.get("mean"),
                image_std=tag.get("std"),
                image_interpolation=tag.get("interpolation"),
                image_resize_mode=tag.get("resize_mode"),
            )
            tokenizer = open_clip.get_tokenizer(spec.arch)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        raise BackendError(f"cannot load critic {spec.name} from {folder}: {str(exc).splitlines()[0]}") from None
    model.eval()
    return ClipCritic(spec, model, preprocess, tokenizer, device=dev)
