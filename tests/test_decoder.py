"""decoder.decode_image: which renders may call themselves the encoder's picture."""

from semcodec.container import SemFile
from semcodec.decoder import decode_image
from semcodec.prompt import Prompt
from semcodec.registry import decoder_by_name, prompt_codec_by_name

from fakes import FakeGenerator

P = Prompt(scene="a red barn", objects=("two blue cows",), lighting="noon sun")


def sem(decoder="sd-turbo", seed=5):
    return SemFile(prompt=P, decoder=decoder_by_name(decoder), prompt_codec=prompt_codec_by_name("lm-ac-v2"),
                   seed=seed, width=32, height=32)


def test_own_seeded_decoder_is_exact():
    out = decode_image(sem(), FakeGenerator("sd-turbo"))
    assert out.exact and out.seed == 5 and "exact picture" in out.note


def test_another_seeded_decoder_is_not_exact():
    out = decode_image(sem("sd-turbo"), FakeGenerator("sdxl-turbo"))
    assert out.seed == 5 and not out.exact
    assert "not the picture the encoder chose" in out.note


def test_no_seed_and_unseeded_decoders_are_not_exact():
    assert not decode_image(sem(seed=None), FakeGenerator("sd-turbo")).exact
    out = decode_image(sem("gpt-image-2", seed=None), FakeGenerator("gpt-image-2"))
    assert not out.exact and out.seed is None
