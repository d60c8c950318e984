"""A local describer/refiner: a small instruction-following VLM through transformers.

Model: **Qwen3-VL-2B-Instruct** (``Qwen/Qwen3-VL-2B-Instruct``, pinned commit
in the registry), loaded with the native ``Qwen3VLForConditionalGeneration``
(no ``trust_remote_code``).  Why this one:

* size: 2B parameters, ~4.3 GB in bf16: fits a laptop GPU (or Apple MPS), and
  still runs on a CPU (slowly, fp32 ~8 GB RAM);
* licence: Apache-2.0 (the 3B Qwen2.5-VL is under a research licence; the
  SmolVLM 256M/500M models are Apache-2.0 too but far weaker);
* quality: a current instruction-tuned VLM that handles long instructions and
  JSON answers much better than sub-1B VLMs (not measured here: no weights can
  be fetched in this environment), and describes photographs in the detailed,
  noun-phrase style a text-to-image model needs.

Protocol: every call sends the image (downscaled to ``max_image_side`` on its
long side, which bounds the vision tokens: 512 px -> at most 256 tokens; a
refine call with the best render so far sends both, labelled "Image 1: the
ORIGINAL" and "Image 2: the current best render" with its score) and
the shared instruction texts of :mod:`semcodec.backends.instructions`, samples
an answer (temperature/top-p/top-k, seeded), and checks it with
:func:`~semcodec.backends.instructions.parse_prompts`.

Malformed answers are **retried** with a different sampling seed, up to
``retries`` more times; then :class:`BackendError` (``local VLM returned
malformed JSON after 3 attempts: ...``).  **Fewer than M prompts**: the valid
prompts of a partly valid answer are kept (invalid items are dropped, never
repaired; the finished items of an answer cut short by the token cap count),
duplicates are dropped, and the model is **asked again for the
missing ones** within the same attempt budget; if M distinct valid prompts
are still missing, :class:`BackendError` says how many were obtained.  An
answer with more than M valid prompts keeps the first M.

Sampling is deterministic for a given ``seed`` and sequence of calls (the
k-th generation of a describer uses seed ``seed + k``; the global torch RNG is
left as it was).  Every generation is recorded in ``.calls`` as a
:class:`ModelCall` (input tokens including image tokens, output tokens,
seconds, ``cost_usd=0``).
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..errors import BackendError, MissingError, SemError
from ..prompt import Prompt
from .base import DescribeRequest, ModelCall
from .device import pick_device
from .instructions import (
    MAX_M,
    compress_instructions,
    describe_instructions,
    parse_prompts,
    refine_instructions,
)

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

DEFAULT_NAME = "local-vlm"

DEFAULT_MAX_NEW_TOKENS = 1024
DEFAULT_MAX_IMAGE_SIDE = 512
# Qwen3-VL-Instruct's recommended sampling settings for vision tasks.
DEFAULT_SAMPLING = {"temperature": 0.7, "top_p": 0.8, "top_k": 20}
_JSON_ONLY = "Answer with the JSON object only: no Markdown, no explanation."

# (model inputs, sampling seed, max_new_tokens) -> the decoded answer text.
GenerateFn = Callable[[Mapping[str, Any], int, int], str]

_LOCAL_HINT = "pip install 'semcodec[local]'"


def _heavy():
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingError(
            f"the local VLM describer needs the 'local' extra ({exc.name} is missing): {_LOCAL_HINT}"
        ) from None
    return torch, transformers


def _dtype_for(torch, device: str):
    kind = device.split(":")[0]
    if kind == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if kind == "mps":
        return torch.float16
    return torch.float32


def _load(name: str, model_dir, device: str | None):
    """(model, processor, device, info) from DIR/name/, else the HF cache or hub at the pinned revision."""
    from ..models import locate_weights, lookup

    entry = lookup(name)
    if getattr(entry, "kind", None) != "local" or getattr(entry, "family", None) != "transformers":
        raise SemError(f"{name!r} is not a local VLM describer")
    torch, transformers = _heavy()
    folder = locate_weights(entry, model_dir)  # MissingError, fast, naming `semmodels download NAME`
    dev = pick_device(device)
    dtype = _dtype_for(torch, dev)
    try:
        processor = transformers.AutoProcessor.from_pretrained(folder, local_files_only=True)
        model = transformers.AutoModelForImageTextToText.from_pretrained(folder, dtype=dtype, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackendError(f"cannot load the local VLM from {folder}: {first}") from None
    model = model.to(dev).eval()
    info = {
        "path": str(folder),
        "source": entry.source,
        "revision": entry.revision,
        "device": dev,
        "dtype": str(dtype).replace("torch.", ""),
        "class": type(model).__name__,
    }
    return model, processor, dev, info


def _items_of(data: Any) -> list[Any] | None:
    if isinstance(data, dict) and isinstance(data.get("prompts"), list):
        return data["prompts"]
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        return data
    return None


def _candidate_items(text: str) -> list[Any] | None:
    """The prompt items in an answer that is chatty, fenced or cut short, or None.

    The first complete ``{"prompts": [...]}`` object (or list of objects) wins;
    failing that, every complete object with a ``scene`` key is collected, so
    the finished items of an answer truncated by ``max_new_tokens`` survive.
    """
    stripped = text.strip()
    try:
        return _items_of(json.loads(stripped))
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    loose: list[Any] = []
    i = 0
    while i < len(stripped):
        if stripped[i] not in "{[":
            i += 1
            continue
        try:
            data, end = decoder.raw_decode(stripped, i)
        except ValueError:
            i += 1
            continue
        items = _items_of(data)
        if items is not None and not loose:
            return items
        if isinstance(data, dict) and "scene" in data:
            loose.append(data)
        i = end
    return loose or None


def _salvage(text: str) -> list[Prompt]:
    """The individually valid prompts of an answer (invalid items dropped, none repaired)."""
    items = _candidate_items(text)
    out: list[Prompt] = []
    for item in (items or [])[:MAX_M]:
        try:
            out.extend(parse_prompts([item], 1))
        except BackendError:
            continue
    return out


class LocalVLMDescriber:
    """:class:`~semcodec.backends.base.Describer` over a transformers image-text-to-text model."""

    def __init__(
        self,
        model: Any,
        processor: Any,
        *,
        name: str = DEFAULT_NAME,
        device: str = "cpu",
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        seed: int = 0,
        retries: int = 2,
        max_image_side: int = DEFAULT_MAX_IMAGE_SIDE,
        sampling: Mapping[str, Any] | None = None,
        generate_fn: GenerateFn | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be >= 0, not {retries}")
        if max_new_tokens < 16:
            raise ValueError(f"max_new_tokens must be >= 16, not {max_new_tokens}")
        self.name = name
        self.calls: list[ModelCall] = []
        self.model = model
        self.processor = processor
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.seed = seed
        self.retries = retries
        self.max_image_side = max_image_side
        self.sampling = dict(DEFAULT_SAMPLING if sampling is None else sampling)
        self.info = dict(info or {})
        self._generate_fn = generate_fn
        self._draws = 0  # generations so far; the k-th uses seed + k

    # -- Describer ----------------------------------------------------------
    def describe(self, request: DescribeRequest) -> list[Prompt]:
        def instructions(k: int) -> str:
            return describe_instructions(k, request.max_text_bytes, request.caption)

        return self._prompts("describe", request, instructions, request.m)

    def refine(self, request: DescribeRequest, best: Prompt, feedback=None) -> list[Prompt]:
        """Corrected variants of ``best``; with ``feedback`` the model sees two labelled images:
        the original and the best render so far (with its critic score)."""
        score = None if feedback is None else float(feedback.score)

        def instructions(k: int) -> str:
            return refine_instructions(best, k, request.max_text_bytes, score)

        return self._prompts("refine", request, instructions, request.m, feedback=feedback)

    def compress(self, request: DescribeRequest, prompt: Prompt) -> Prompt:
        """One shorter prompt; the caller checks the budget (the encoder cuts what still does not fit)."""

        def instructions(k: int) -> str:
            return compress_instructions(prompt, request.max_text_bytes)

        return self._prompts("compress", request, instructions, 1)[0]

    def estimate_cost(self, kind: str, **_: Any) -> float:
        """A local model costs no money."""
        return 0.0

    # -- the retry / padding loop ------------------------------------------------
    def _prompts(
        self,
        kind: str,
        request: DescribeRequest,
        instructions: Callable[[int], str],
        m: int,
        feedback: Any = None,
    ) -> list[Prompt]:
        if not isinstance(m, int) or not 1 <= m <= MAX_M:
            raise ValueError(f"m must be an integer from 1 to {MAX_M}, not {m!r}")
        image: Any = self._prepare_image(request.image)
        if feedback is not None:  # (original, best render, its score, its round)
            image = (image, self._prepare_image(feedback.render), float(feedback.score), int(feedback.t))
        got: list[Prompt] = []
        last_error = ""
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            want = m - len(got)
            text, call = self._generate(kind, image, instructions(want), want, request.max_text_bytes)
            call.extra["attempt"] = attempt
            try:
                fresh = parse_prompts(text, want)
                error = ""
            except BackendError as exc:
                error = str(exc)
                fresh = _salvage(text)
            before = len(got)
            for p in fresh:
                if len(got) < m and p not in got:
                    got.append(p)
            call.extra["valid_prompts"] = len(got) - before
            if error:
                call.extra["error"] = error
            if len(got) >= m:
                return got
            last_error = error or f"{len(got) - before} new distinct prompt(s), {want} were asked for"
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if got:
            raise BackendError(f"local VLM gave only {len(got)} valid prompt(s) of {m} after {tries}: {last_error}")
        raise BackendError(f"local VLM returned malformed JSON after {tries}: {last_error}")

    # -- one model call ---------------------------------------------------------
    def _prepare_image(self, image: "Image.Image") -> "Image.Image":
        from PIL import Image

        img = image.convert("RGB")
        if max(img.size) > self.max_image_side:
            img = img.copy()
            img.thumbnail((self.max_image_side, self.max_image_side), Image.Resampling.LANCZOS)
        return img

    def _token_cap(self, m: int, max_text_bytes: int) -> int:
        # ~3 bytes per token for English, plus JSON keys/quotes per prompt and the wrapper.
        return min(self.max_new_tokens, 32 + m * (max_text_bytes // 3 + 64))

    def _generate(self, kind: str, image, text: str, m: int, max_text_bytes: int) -> tuple[str, ModelCall]:
        """One generation; ``image`` is one picture, or (original, render, score, round) for a refine that looks."""
        if isinstance(image, tuple):
            original, render, score, t = image
            content: list[dict[str, Any]] = [
                {"type": "text", "text": "Image 1: the ORIGINAL image to match."},
                {"type": "image", "image": original},
                {"type": "text", "text": f"Image 2: the current best render, drawn from the best prompt so far "
                                         f"(round {t}; CLIP similarity to the original {score:.3f})."},
                {"type": "image", "image": render},
                {"type": "text", "text": text + "\n" + _JSON_ONLY},
            ]
            sent = ["original", "best render"]
        else:
            content = [{"type": "image", "image": image}, {"type": "text", "text": text + "\n" + _JSON_ONLY}]
            sent = ["original"]
        messages = [{"role": "user", "content": content}]
        inputs = self.processor.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
        )
        seed = self.seed + self._draws
        self._draws += 1
        cap = self._token_cap(m, max_text_bytes)
        start = time.perf_counter()
        if self._generate_fn is not None:
            answer = self._generate_fn(inputs, seed, cap)
            n_out = len(self.processor.tokenizer(answer, add_special_tokens=False)["input_ids"])
        else:
            answer, n_out = self._hf_generate(inputs, seed, cap)
        call = ModelCall(
            kind=kind,
            model=self.name,
            seconds=time.perf_counter() - start,
            input_tokens=int(inputs["input_ids"].shape[-1]),
            output_tokens=int(n_out),
            cost_usd=0.0,
            extra={"seed": seed, "max_new_tokens": cap, "images": len(sent), "images_sent": sent},
        )
        self.calls.append(call)
        return answer, call

    def _hf_generate(self, inputs, seed: int, max_new_tokens: int) -> tuple[str, int]:
        torch, _ = _heavy()
        dev = torch.device(self.device)
        if dev.type == "cuda":
            index = dev.index if dev.index is not None else torch.cuda.current_device()
            fork = torch.random.fork_rng(devices=[index], device_type="cuda")
        elif dev.type == "mps":
            fork = torch.random.fork_rng(devices=[0], device_type="mps")
        else:
            fork = torch.random.fork_rng(devices=[])
        inputs = inputs.to(self.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        prompt_len = inputs["input_ids"].shape[-1]
        try:
            with fork, torch.inference_mode():
                torch.manual_seed(seed)
                out = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=True, **self.sampling)
        except (RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BackendError(f"local VLM generation failed: {first}") from None
        new = out[0, prompt_len:]
        text = self.processor.tokenizer.decode(new, skip_special_tokens=True)
        return text, int(new.shape[-1])


def load_describer(
    name: str = DEFAULT_NAME,
    *,
    model_dir: str | os.PathLike | None = None,
    device: str | None = None,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    seed: int = 0,
    retries: int = 2,
    max_image_side: int = DEFAULT_MAX_IMAGE_SIDE,
    generate_fn: GenerateFn | None = None,
) -> LocalVLMDescriber:
    """Load the local VLM describer ``name`` (a registry DESCRIBERS entry) from
    ``model_dir/name/`` (``save_pretrained`` layout of model + processor;
    ``$SEMCODEC_MODEL_DIR`` when ``model_dir`` is None), else from the Hugging Face
    cache or hub at the registry's pinned revision (:func:`semcodec.models.locate_weights`).

    Missing weights raise :class:`MissingError` at once (no network wait when
    offline or the hub is unreachable), naming ``semmodels download NAME``.
    ``generate_fn(inputs, seed, max_new_tokens) -> str`` replaces only the model's
    ``generate`` call (tests); the processor still builds the real inputs.
    """
    model, processor, dev, info = _load(name, model_dir, device)
    return LocalVLMDescriber(
        model,
        processor,
        name=name,
        device=dev,
        max_new_tokens=max_new_tokens,
        seed=seed,
        retries=retries,
        max_image_side=max_image_side,
        generate_fn=generate_fn,
        info=info,
    )


__all__ = ["LocalVLMDescriber", "load_describer", "GenerateFn"]
