"""Metrics and data-set loading of sembench rd: checked against independent computations."""

import math

import numpy as np
import pytest
from PIL import Image

from semcodec.bench import metrics as M
from semcodec.bench.dataset import list_images, load_dataset
from semcodec.errors import InputError

from fakes import HistCritic
from extras import needs_bench


def noisy(size=(40, 30), seed=0, sigma=0.0, base=None):
    rng = np.random.default_rng(seed)
    if base is None:
        arr = rng.integers(0, 256, size=(size[1], size[0], 3)).astype(np.float64)
    else:
        arr = np.asarray(base, dtype=np.float64) + rng.normal(0, sigma, size=np.asarray(base).shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def test_bpp_and_total_bits_over_total_pixels():
    assert M.bpp(100, 10, 20) == 8 * 100 / 200
    # two images of different sizes: the data-set figure is not the mean of per-image bpp
    sizes, pixels = [1000, 90], [10_000, 100]
    total = M.total_bpp(sizes, pixels)
    assert total == pytest.approx(8 * 1090 / 10_100)
    mean_of_ratios = np.mean([8 * b / p for b, p in zip(sizes, pixels)])
    assert not math.isclose(total, mean_of_ratios)


@needs_bench
def test_psnr_matches_hand_formula_and_identical_is_inf():
    a = noisy(seed=1)
    b = noisy(seed=2, sigma=8.0, base=np.asarray(a))
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    mse = ((x - y) ** 2).mean()  # over all three channels jointly
    assert M.psnr(a, b) == pytest.approx(10 * math.log10(255**2 / mse), rel=1e-9)
    assert M.psnr(a, a.copy()) == math.inf


@needs_bench
def test_ssim_is_mean_of_per_channel_ssim():
    from skimage.metrics import structural_similarity

    a = noisy(size=(48, 40), seed=3)
    arr = np.asarray(a).copy()
    rng = np.random.default_rng(4)
    arr[..., 0] = np.clip(arr[..., 0] + rng.normal(0, 30, arr[..., 0].shape), 0, 255)  # only red changes
    b = Image.fromarray(arr.astype(np.uint8), "RGB")
    red = structural_similarity(np.asarray(a)[..., 0], arr[..., 0].astype(np.uint8), data_range=255)
    assert M.ssim(a, b) == pytest.approx((red + 1.0 + 1.0) / 3.0, rel=1e-9)
    assert M.ssim(a, a) == pytest.approx(1.0)
    tiny = noisy(size=(2, 2), seed=5)
    assert M.ssim(tiny, tiny) is None  # too small for any window


@needs_bench
def test_metrics_resize_reconstruction_to_original():
    a = noisy(size=(40, 30), seed=6)
    small = a.resize((20, 15), Image.Resampling.BILINEAR)
    up = small.resize((40, 30), Image.Resampling.BICUBIC)
    assert M.match_size(small, a).size == (40, 30)
    assert M.psnr(a, small) == pytest.approx(M.psnr(a, up))


def test_clipsim_is_cosine_of_critic_embeddings():
    critic = HistCritic()
    a, b = noisy(seed=7), noisy(size=(40, 30), seed=8, sigma=60.0, base=np.full((30, 40, 3), 200.0))
    ea, eb = critic.embed_images([a])[0].astype(np.float64), critic.embed_images([b])[0].astype(np.float64)
    want = float(ea @ eb / np.linalg.norm(ea) / np.linalg.norm(eb))
    got = M.clipsim(critic, [a, a], [b, a])
    assert got[0] == pytest.approx(want, abs=1e-6) and got[0] < 0.9
    assert got[1] == pytest.approx(1.0, abs=1e-6)
    assert M.clipsim_to(critic, ea, [b, a]) == pytest.approx([want, 1.0], abs=1e-6)


def test_mean_and_std_helpers():
    assert M.mean_or_none([1.0, 2.0, 3.0]) == 2.0
    assert M.mean_or_none([1.0, None]) is None
    assert M.mean_or_none([]) is None
    assert M.std_or_none([1.0, 3.0]) == pytest.approx(1.0)
    assert M.mean_or_none([1.0, math.inf]) == math.inf


def _png(path, img):
    img.save(path, format="PNG")


def test_dataset_sorted_rgb_alpha_flattened_exif_applied(tmp_path):
    rgba = Image.new("RGBA", (8, 6), (255, 0, 0, 0))  # fully transparent red -> white
    _png(tmp_path / "b_alpha.png", rgba)
    Image.new("L", (5, 7), 100).save(tmp_path / "a_grey.png")
    # a JPEG whose EXIF says "rotate 90 CW": a viewer shows it 6 wide x 10 high
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (10, 6), (0, 0, 255)).save(tmp_path / "c_rot.jpg", exif=exif.tobytes())
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    names = [p.name for p in list_images(tmp_path)]
    assert names == ["a_grey.png", "b_alpha.png", "c_rot.jpg"]
    ds = load_dataset(tmp_path)
    assert [d.name for d in ds] == names
    assert all(d.image.mode == "RGB" for d in ds)
    assert ds[0].image.getpixel((0, 0)) == (100, 100, 100)
    assert ds[1].image.getpixel((3, 3)) == (255, 255, 255)
    assert ds[2].image.size == (6, 10)
    assert ds[2].pixels == 60
    assert load_dataset(tmp_path, limit=2)[-1].name == "b_alpha.png"
    assert ds[0].digest != ds[1].digest and len(ds[0].digest) == 64


def test_dataset_errors(tmp_path):
    with pytest.raises(InputError):
        load_dataset(tmp_path)  # empty
    with pytest.raises(InputError):
        load_dataset(tmp_path / "missing")
