"""The codec ladder: real file bytes, decoded from those bytes, the sweeps and the sem leaf."""

import io

import numpy as np
import pytest
from PIL import Image, features

from semcodec.bench import codecs as C
from semcodec.container import decode
from semcodec.decoder import render
from semcodec.errors import InputError

from fakes import COLOURS, FakeCritic, FakeDescriber, FakeGenerator


def photo(size=(64, 48), seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    base = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.float64)
    return Image.fromarray(np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8), "RGB")


PIXEL = [
    (C.JPEG, 10, "JPEG"),
    (C.WebP, 10, "WEBP"),
    (C.LowResPNG, 16, "PNG"),
    (C.LowResWebP, 16, "WEBP"),
]
if features.check("avif"):
    PIXEL.append((C.AVIF, 20, "AVIF"))


@pytest.mark.parametrize("cls,param,fmt", PIXEL, ids=[p[0].name for p in PIXEL])
def test_pixel_codec_bytes_are_a_real_file_and_reconstruction_decodes_from_them(cls, param, fmt):
    img = photo()
    out = cls().run(img, param)
    with Image.open(io.BytesIO(out.bytes_)) as f:
        assert f.format == fmt
        f.load()
        decoded = f.convert("RGB")
    assert out.reconstruction.size == img.size and out.reconstruction.mode == "RGB"
    if issubclass(cls, C._LowRes):
        assert min(decoded.size) == param
        assert abs(decoded.width / decoded.height - img.width / img.height) < 0.1
        want = decoded.resize(img.size, Image.Resampling.BICUBIC)
    else:
        assert decoded.size == img.size
        want = decoded
    assert np.array_equal(np.asarray(out.reconstruction), np.asarray(want))
    assert out.reconstructions == [out.reconstruction]
    # deterministic: same input, same bytes
    assert cls().run(img, param).bytes_ == out.bytes_


def test_metadata_does_not_ride_along():
    img = photo()
    img.info["icc_profile"] = b"x" * 5000
    plain = photo()
    assert C.JPEG().run(img, 10).bytes_ == C.JPEG().run(plain, 10).bytes_
    assert C.LowResPNG().run(img, 16).bytes_ == C.LowResPNG().run(plain, 16).bytes_


def test_sweeps_and_rate_grow_with_quality():
    assert C.JPEG().points() == [1, 5, 10, 20, 40, 75] and C.JPEG.reference == 10
    assert C.LowResPNG().points() == [8, 16, 32] and C.LowResPNG.reference == 32
    img = photo(size=(96, 72))
    sizes = [len(C.JPEG().run(img, q).bytes_) for q in C.JPEG().points()]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    thumbs = [len(C.LowResPNG().run(img, s).bytes_) for s in (8, 16, 32)]
    assert thumbs == sorted(thumbs)
    assert C.JPEG(points=[3, 7]).points() == [3, 7]


def test_short_side_size():
    assert C.short_side_size(640, 427, 32) == (48, 32)
    assert C.short_side_size(300, 451, 16) == (16, 24)
    assert C.short_side_size(20, 10, 32) == (20, 10)  # never upscales


def test_descriptions_state_versions_and_settings():
    d = C.JPEG().description
    assert "Pillow" in d and "quality" in d and "4:2:0" in d and "reference baseline quality 10" in d
    assert "bicubic" in C.LowResWebP().description and "32" in C.LowResWebP().description


def test_registry_of_codecs():
    assert set(C.CODECS) == {"sem", "jpeg", "webp", "avif", "lowres-png", "lowres-webp"}
    assert C.parse_codec_names("jpeg, webp,jpeg") == ["jpeg", "webp"]
    with pytest.raises(InputError):
        C.parse_codec_names("jpeg,gif")
    assert ("avif" in C.default_codec_names()) == features.check("avif")
    assert C.AVIF.available()[0] == features.check("avif")


def _sem(gen_name="sd-turbo", decodes=3):
    gen = FakeGenerator(gen_name)
    return C.SemCodec(critic=FakeCritic(), generator=gen, describer=FakeDescriber(words_per_object=1),
                      points=[120], n=2, m=3, k=2, decoder=gen_name, decodes=decodes), gen


def _blue(size=(48, 32)):
    rng = np.random.default_rng(0)
    px = np.clip(np.array(COLOURS["blue"]) + rng.normal(0, 10, size=(size[1], size[0], 3)), 0, 255)
    return Image.fromarray(px.astype(np.uint8), "RGB")


def test_sem_codec_reconstructs_from_the_file_bytes_alone():
    codec, gen = _sem()
    img = _blue()
    out = codec.run(img, 120)
    assert len(out.bytes_) <= 120
    sem = decode(out.bytes_)
    assert sem.decoder.name == "sd-turbo" and (sem.width, sem.height) == img.size
    again = render(sem, FakeGenerator("sd-turbo"))  # a fresh receiver, from the bytes only
    assert np.array_equal(np.asarray(again), np.asarray(out.reconstruction))
    assert out.extra_reconstructions == []  # deterministic: one decode
    assert -1.0 <= out.info["clipsim_encoder"] <= 1.0
    assert [it["t"] for it in out.info["iterations"]] == [1, 2]
    assert out.info["sem_hex"] == out.bytes_.hex()
    assert codec.settings()["n"] == 2 and "budgets 120" in codec.description


def test_sem_codec_non_deterministic_decodes_n_times():
    codec, gen = _sem("gpt-image-2", decodes=3)
    assert not codec.deterministic
    out = codec.run(_blue(), 120)
    assert len(out.reconstructions) == 3
    assert decode(out.bytes_).seed is None
    arrays = [np.asarray(r) for r in out.reconstructions]
    assert not np.array_equal(arrays[0], arrays[1])  # each decode is a new picture
