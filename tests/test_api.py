"""The Python API: semcodec.encode / semcodec.decode."""

import numpy as np
import pytest

import semcodec
from semcodec.errors import InputError

from fakes import FakeCritic, FakeDescriber, FakeGenerator
from test_encoder import photo


def test_encode_then_decode_gives_the_chosen_picture():
    data, result = semcodec.encode(photo(), critic=FakeCritic(), generator=FakeGenerator(), describer=FakeDescriber(),
                                   n=2, m=2, k=3, budget_bytes=120)
    assert isinstance(data, bytes) and len(data) <= 120 and data == result.data
    assert result.trace.to_json()["calls"]["renders"] == 6
    image = semcodec.decode(data, generator=FakeGenerator())
    assert np.array_equal(np.asarray(image), np.asarray(result.best_image))
    assert semcodec.read_file(data).seed == result.sem.seed


def test_encode_accepts_a_path_and_refuses_junk(tmp_path):
    path = tmp_path / "p.png"
    photo().save(path)
    data, _ = semcodec.encode(path, critic=FakeCritic(), generator=FakeGenerator(), describer=FakeDescriber(), n=1, m=1, k=1)
    assert data[0] == 0xF5  # a v2 file: the default written
    v1, _ = semcodec.encode(path, critic=FakeCritic(), generator=FakeGenerator(), describer=FakeDescriber(), n=1, m=1, k=1,
                            container="v1")
    assert v1[:4] == b"SEM\x01" and semcodec.read_file(v1).prompt == semcodec.read_file(data).prompt
    with pytest.raises(InputError):
        semcodec.encode(42, critic=FakeCritic(), generator=FakeGenerator(), describer=FakeDescriber())


def test_decode_with_tiny_models(tiny_model_dir):
    sem = semcodec.SemFile.create(semcodec.Prompt("a red boat"), seed=1, width=40, height=24)
    a = semcodec.decode(sem.to_bytes(), model_dir=tiny_model_dir)
    b = semcodec.decode(sem.to_bytes(), model_dir=tiny_model_dir)
    assert a.size == (40, 24) and np.array_equal(np.asarray(a), np.asarray(b))
