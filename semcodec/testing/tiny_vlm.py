"""A tiny, randomly initialised Qwen3-VL (same classes as the real local VLM).

``build_tiny_vlm(DIR)`` writes ``DIR/local-vlm/`` in the library's own
``save_pretrained`` layout: a :class:`~transformers.Qwen3VLForConditionalGeneration`
from a small config (2 text layers of width 32, a 2-layer vision tower with
16-px patches) and a :class:`~transformers.Qwen3VLProcessor` built offline:

* tokenizer: a byte-level BPE (the same pre-tokenizer and decoder as Qwen2's)
  trained with the ``tokenizers`` library on a few sentences, plus Qwen's
  special tokens (``<|im_start|>``, ``<|im_end|>``, ``<|vision_start|>``,
  ``<|image_pad|>``...), wrapped in :class:`~transformers.Qwen2Tokenizer`;
* a short Qwen-style chat template (image parts become
  ``<|vision_start|><|image_pad|><|vision_end|>``);
* image / video processors with the real patch geometry (patch 16, merge 2)
  but a 64x64-pixel budget, so an image costs a handful of tokens.

Random weights produce garbage text: the model exists to exercise the real
load and generation path quickly (build < 1 s, ~0.7 MB on disk).

Command line: ``python -m semcodec.testing.tiny_vlm DIR [--name NAME]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..errors import MissingError

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# Qwen-style chat template, reduced to what a describer sends (system/user
# turns whose content is a string or a list of image/text parts).
CHAT_TEMPLATE = r"""{%- for message in messages %}
{{- '<|im_start|>' + message['role'] + '\n' }}
{%- if message['content'] is string %}
{{- message['content'] }}
{%- else %}
{%- for part in message['content'] %}
{%- if part['type'] == 'image' %}
{{- '<|vision_start|><|image_pad|><|vision_end|>' }}
{%- elif part['type'] == 'text' %}
{{- part['text'] }}
{%- endif %}
{%- endfor %}
{%- endif %}
{{- '<|im_end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\n' }}
{%- endif %}"""

_TRAINING_TEXT = (
    '{"prompts": [{"scene": "a quiet street at dusk with parked cars", "objects": ["a red bicycle", '
    '"two green trees", "a wooden bench"], "lighting": "soft warm light from the left", "style": null}]}',
    "You write prompts for a text-to-image model so that it redraws the attached image.",
    "Return exactly 3 candidate prompts as JSON. The best prompt so far, its canonical text, in bytes.",
    "A cat sleeps on a blue sofa by a window; a mug of coffee, a laptop and a plant on the desk.",
)


def _require():
    try:
        import torch
        import transformers
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    except ImportError as exc:  # pragma: no cover - the local extra is installed in tests
        raise MissingError(
            f"building the tiny VLM needs the 'local' extra ({exc.name} is missing): pip install 'semcodec[local]'"
        ) from None
    return torch, transformers, (Tokenizer, models, pre_tokenizers, trainers)


def _tokenizer(transformers, tk):
    Tokenizer, models, pre_tokenizers, trainers = tk
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(list(_TRAINING_TEXT) * 4, trainer)
    data = json.loads(bpe.to_str())
    vocab = data["model"]["vocab"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in data["model"]["merges"]]
    tok = transformers.Qwen2Tokenizer(
        vocab=vocab,
        merges=merges,
        unk_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    tok.add_special_tokens({"additional_special_tokens": list(SPECIAL_TOKENS[1:])})
    return tok


def build_tiny_vlm(directory: str | os.PathLike, *, name: str = "local-vlm", seed: int = 0) -> Path:
    """Write a tiny random Qwen3-VL + processor to ``directory/name/``; return ``directory``
    (the folder to pass as ``model_dir``)."""
    torch, transformers, tk = _require()
    root = Path(directory)
    out = root / name
    out.mkdir(parents=True, exist_ok=True)

    tok = _tokenizer(transformers, tk)
    ids = dict(zip(SPECIAL_TOKENS, tok.convert_tokens_to_ids(list(SPECIAL_TOKENS))))
    pixels = {"shortest_edge": 32 * 32, "longest_edge": 64 * 64}
    image_processor = transformers.Qwen2VLImageProcessor(
        patch_size=16, merge_size=2, temporal_patch_size=2, size=pixels, image_mean=[0.5] * 3, image_std=[0.5] * 3
    )
    video_processor = transformers.Qwen3VLVideoProcessor(
        patch_size=16, merge_size=2, temporal_patch_size=2, size={"shortest_edge": 32 * 32, "longest_edge": 64 * 64 * 2}
    )
    processor = transformers.Qwen3VLProcessor(
        image_processor=image_processor, tokenizer=tok, video_processor=video_processor, chat_template=CHAT_TEMPLATE
    )

    config = transformers.Qwen3VLConfig(
        text_config={
            "vocab_size": len(tok),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 8,
            "max_position_embeddings": 4096,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [2, 1, 1],
                "mrope_interleaved": True,
            },
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
        },
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 4,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "out_hidden_size": 32,
            "num_position_embeddings": 16,
            "deepstack_visual_indexes": [0, 1],
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=True,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = transformers.Qwen3VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m semcodec.testing.tiny_vlm", description=__doc__.splitlines()[0]
    )
    parser.add_argument("directory", help="model directory; the model goes to DIRECTORY/NAME/")
    parser.add_argument("--name", default="local-vlm", help="describer name (folder name), default local-vlm")
    args = parser.parse_args(argv)
    root = build_tiny_vlm(args.directory, name=args.name)
    print(root / args.name)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
