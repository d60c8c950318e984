"""The registry's entries share one shape, and every family has a loader."""

import ast
import importlib.util
from pathlib import Path

import pytest

from semcodec import registry
from semcodec.registry import (CRITICS, DECODERS, DESCRIBER_LOADERS, DESCRIBERS, GENERATOR_LOADERS, CRITIC_LOADERS, VOCABULARIES, Entry,
                               vocabulary_file, vocabulary_for)

MODEL_ENTRIES = (*DECODERS, *CRITICS, *DESCRIBERS)


@pytest.mark.parametrize("entry", MODEL_ENTRIES, ids=lambda e: e.name)
def test_every_model_entry_has_the_common_shape(entry):
    assert isinstance(entry, Entry)
    for attr in ("name", "family", "description", "source", "revision", "files", "retired"):
        assert hasattr(entry, attr), attr
    assert entry.name and entry.family and entry.description
    assert isinstance(entry.files, tuple)
    if entry.revision is not None:  # a pinned hub commit: 40 hex digits
        assert len(entry.revision) == 40 and int(entry.revision, 16) >= 0


def _defines(target: str) -> bool:
    module, _, func = target.partition(":")
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, module
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    return any(isinstance(n, ast.FunctionDef) and n.name == func for n in tree.body)


def test_every_family_has_a_loader_that_exists():
    assert {d.family for d in DECODERS} <= set(GENERATOR_LOADERS)
    assert {d.family for d in DESCRIBERS} <= set(DESCRIBER_LOADERS)
    assert {c.family for c in CRITICS} <= set(CRITIC_LOADERS)
    for target in (*GENERATOR_LOADERS.values(), *DESCRIBER_LOADERS.values(), *CRITIC_LOADERS.values()):
        assert _defines(target), target


def test_the_loader_table_picks_the_loader():
    from semcodec.backends import load_generator
    from semcodec.world.generator import WorldGenerator

    assert isinstance(load_generator(registry.decoder_by_name("world-v1")), WorldGenerator)
    with pytest.raises(registry.SemError, match="native size"):
        load_generator(registry.decoder_by_name("world-v1"), size=(64, 64))


def test_vocabularies_are_data_the_caller_or_the_critic_names():
    for name in VOCABULARIES:
        assert vocabulary_file(name).is_file()
    assert vocabulary_file("x/y.json") == Path("x/y.json")
    assert vocabulary_for("world-clip") == "world" and vocabulary_for("world-judge") == "world"
    assert vocabulary_for("ViT-B-32") == "photo" and vocabulary_for("not-a-critic") == "photo"
