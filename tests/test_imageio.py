import io

import numpy as np
import pytest
from PIL import Image

from semcodec.errors import InputError
from semcodec.imageio import fit_to_size, load_image


def save(img, path, **kw):
    img.save(path, **kw)
    return path


def test_modes_are_converted(tmp_path):
    rgba = Image.new("RGBA", (8, 6), (255, 0, 0, 0))
    out = load_image(save(rgba, tmp_path / "a.png")).image
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (255, 255, 255)  # flattened on white
    g16 = Image.fromarray(np.full((4, 4), 65535, dtype=np.uint16))
    assert load_image(save(g16, tmp_path / "g16.png")).image.getpixel((0, 0)) == (255, 255, 255)
    cmyk = Image.new("CMYK", (4, 4), (0, 0, 0, 0))
    assert load_image(save(cmyk, tmp_path / "c.jpg")).image.mode == "RGB"
    pal = Image.new("P", (4, 4))
    assert load_image(save(pal, tmp_path / "p.png")).image.mode == "RGB"


def test_exif_orientation_applied(tmp_path):
    img = Image.new("RGB", (8, 4))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90
    path = tmp_path / "o.jpg"
    img.save(path, exif=exif)
    assert load_image(path).image.size == (4, 8)


def test_animation_first_frame_noted(tmp_path):
    frames = [Image.new("RGB", (4, 4), c) for c in ((255, 0, 0), (0, 255, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    li = load_image(path)
    assert li.image.getpixel((0, 0))[0] > 200 and "first of 2 frames" in li.notes[0]


@pytest.mark.parametrize("content, fragment", [(b"", "empty file"), (b"not an image", "not an image"), (b"\x89PNG\r\n\x1a\n\x00\x00", "not an image|corrupt")])
def test_bad_inputs(tmp_path, content, fragment):
    path = tmp_path / "x.png"
    path.write_bytes(content)
    with pytest.raises(InputError, match=fragment):
        load_image(path)


def test_truncated_and_missing_and_directory(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buf, "JPEG")
    (tmp_path / "t.jpg").write_bytes(buf.getvalue()[:200])
    with pytest.raises(InputError, match="t.jpg"):
        load_image(tmp_path / "t.jpg")
    with pytest.raises(InputError, match="no such file"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(InputError, match="is a directory"):
        load_image(tmp_path)


def test_pixel_limit(tmp_path):
    path = save(Image.new("L", (300, 300)), tmp_path / "big.png")
    with pytest.raises(InputError, match="pixel"):
        load_image(path, max_pixels=10_000)


def test_fit_to_size_covers_and_centre_crops():
    img = Image.new("RGB", (64, 64))
    img.paste((255, 0, 0), (0, 0, 64, 16))  # red band on top
    out = fit_to_size(img, 96, 48)
    assert out.size == (96, 48)
    assert out.getpixel((48, 0))[0] < 128  # the top band was cropped away (cover + centre crop)
    assert fit_to_size(img, 64, 64) is img
