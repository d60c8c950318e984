"""Procedural renderer of world scenes (numpy + Pillow), deterministic given (scene, seed).

The seed chooses the layout (object positions, rotations), the texture
offsets and small colour variations, so different seeds give different
pictures of the same description, as a seeded text-to-image model does.
Object group *i* draws from its own stream of the seed, so editing one group
of a description leaves the others where they were.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from .grammar import ObjectGroup, WorldScene, parse_text, vocab

_RADIUS = {"small": 0.07, None: 0.11, "large": 0.16}  # fraction of the image side
_GREY = (128, 128, 128)


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x5E3, *stream])


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n
    return x, y


def _jitter(rng: np.random.Generator, rgb, amount: float = 12.0) -> np.ndarray:
    return np.clip(np.asarray(rgb, np.float32) + rng.normal(0, amount, 3), 0, 255)


def _background(key: str | None, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, n, 3) float32 in 0..255 for a scene key."""
    x, y = _grid(n)
    img = np.zeros((n, n, 3), np.float32)
    ox, oy = rng.random(2)
    if key == "beach":
        horizon = 0.35 + 0.05 * rng.random()
        shore = horizon + 0.15
        img[:] = _jitter(rng, (235, 210, 150))
        img[y < shore] = _jitter(rng, (40, 120, 200))
        img[y < horizon] = _jitter(rng, (150, 200, 245))
    elif key == "forest":
        img[:] = _jitter(rng, (30, 90, 40))
        trunks = (np.sin((x + ox) * 2 * math.pi * 7) > 0.75)
        img[trunks] = _jitter(rng, (90, 60, 30))
        img[y > 0.8] = _jitter(rng, (50, 70, 30))
    elif key == "desert":
        dune = 0.55 + 0.08 * np.sin((x + ox) * 2 * math.pi * 1.5)
        img[:] = _jitter(rng, (240, 200, 120))
        img[y > dune] = _jitter(rng, (215, 160, 80))
        img[y < 0.25] = _jitter(rng, (170, 210, 240))
    elif key == "city":
        img[:] = _jitter(rng, (160, 170, 185))
        k = int(rng.integers(5, 8))
        for i in range(k):
            x0, x1 = i / k, (i + 0.8) / k
            top = 0.15 + 0.35 * rng.random()
            img[(x >= x0) & (x < x1) & (y > top)] = _jitter(rng, (80, 80, 90), 20)
        img[y > 0.85] = _jitter(rng, (60, 60, 60))
    elif key == "snow":
        img[:] = _jitter(rng, (240, 245, 250), 5)
        img[y < 0.3 + 0.05 * oy] = _jitter(rng, (180, 200, 230))
    elif key == "ocean":
        waves = np.sin((y * 14 + oy + 0.3 * np.sin(x * 9 + ox * 6)) * 2 * math.pi) > 0.6
        img[:] = _jitter(rng, (20, 70, 160))
        img[waves] = _jitter(rng, (70, 140, 210))
    elif key == "brick":
        img[:] = _jitter(rng, (200, 195, 185), 5)
        rows = ((y + oy) * 10).astype(int)
        bx = (x + ox + 0.5 * (rows % 2) * 0.125) * 8
        mortar = (((y + oy) * 10) % 1 < 0.15) | (bx % 1 < 0.08)
        img[~mortar] = _jitter(rng, (165, 65, 45))
    elif key == "meadow":
        img[:] = _jitter(rng, (90, 170, 60))
        img[y < 0.3] = _jitter(rng, (160, 210, 250))
        dots = (np.sin((x + ox) * 97) * np.sin((y + oy) * 83) > 0.92) & (y >= 0.3)
        img[dots] = (250, 230, 240)
    elif key == "checkered":
        cells = (((x + ox) * 8).astype(int) + ((y + oy) * 8).astype(int)) % 2 == 0
        img[:] = _jitter(rng, (30, 30, 30), 5)
        img[cells] = _jitter(rng, (225, 225, 225), 5)
    elif key == "mountain":
        img[:] = _jitter(rng, (140, 190, 235))
        peak = 0.3 + 0.25 * np.abs(((x * 3 + ox) % 1) - 0.5) * 2
        img[y > peak] = _jitter(rng, (110, 105, 115))
        img[(y > peak) & (y < peak + 0.06)] = (240, 240, 245)
    elif key == "space":
        img[:] = _jitter(rng, (8, 8, 25), 4)
        stars = rng.random((n, n)) > 0.985
        img[stars] = (255, 255, 255)
    elif key == "wooden":
        grain = 0.5 + 0.5 * np.sin(((x + ox) * 6 + 0.15 * np.sin(y * 20)) * 2 * math.pi)
        base = _jitter(rng, (170, 115, 60))
        img[:] = base[None, None, :] * (0.8 + 0.2 * grain[..., None])
        img[((y + oy) * 6 % 1) < 0.04] = (90, 55, 25)
    else:
        img[:] = _GREY
    return img


def _shape_polygon(shape: str, cx: float, cy: float, r: float, rot: float) -> list[tuple[float, float]]:
    if shape == "square":
        angles = [rot + math.pi / 4 + k * math.pi / 2 for k in range(4)]
        return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]
    if shape == "triangle":
        angles = [rot - math.pi / 2 + k * 2 * math.pi / 3 for k in range(3)]
        return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]
    if shape == "star":
        pts = []
        for k in range(10):
            a = rot - math.pi / 2 + k * math.pi / 5
            rr = r if k % 2 == 0 else r * 0.42
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        return pts
    if shape == "cross":
        w = r * 0.35
        base = [(-w, -r), (w, -r), (w, -w), (r, -w), (r, w), (w, w), (w, r), (-w, r), (-w, w), (-r, w), (-r, -w), (-w, -w)]
        c, s = math.cos(rot), math.sin(rot)
        return [(cx + px * c - py * s, cy + px * s + py * c) for px, py in base]
    raise ValueError(shape)


def _draw_group(draw: ImageDraw.ImageDraw, group: ObjectGroup, n: int, rng: np.random.Generator,
                taken: list[tuple[float, float, float]]) -> None:
    r0 = _RADIUS.get(group.size, _RADIUS[None]) * n
    rgb = vocab().colours.get(group.colour, _GREY) if group.colour else _GREY
    for _ in range(group.count):
        r = r0 * (0.9 + 0.2 * rng.random())
        best = None
        for _try in range(12):  # rejection sampling: avoid heavy overlap
            cx, cy = rng.uniform(r, n - r, 2)
            clash = max((r + tr - math.hypot(cx - tx, cy - ty) for tx, ty, tr in taken), default=-1.0)
            if best is None or clash < best[0]:
                best = (clash, cx, cy)
            if clash < 0:
                break
        _, cx, cy = best
        taken.append((cx, cy, r))
        rot = rng.uniform(-0.35, 0.35)
        fill = tuple(int(c) for c in _jitter(rng, rgb, 8))
        if group.shape == "circle":
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
        elif group.shape == "ring":
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=fill, width=max(2, int(r * 0.35)))
        else:
            draw.polygon(_shape_polygon(group.shape, cx, cy, r, rot), fill=fill)


def _lighting(img: np.ndarray, key: str | None, rng: np.random.Generator) -> np.ndarray:
    n = img.shape[0]
    _, y = _grid(n)
    a = 1.0 + 0.05 * rng.standard_normal()
    if key == "night":
        out = img * 0.3 * a + np.array([0, 5, 30], np.float32)
    elif key == "sunset":
        out = img * np.array([1.1, 0.8, 0.55], np.float32) * a + (1 - y[..., None]) * np.array([50, 15, 0], np.float32)
    elif key == "cool":
        out = img * np.array([0.7, 0.88, 1.15], np.float32) * a + np.array([0, 10, 30], np.float32)
    elif key == "dim":
        out = img * 0.55 * a
    elif key == "fog":
        out = img * 0.45 + 0.55 * np.array([200, 200, 205], np.float32)
    else:  # daylight
        out = img * 1.05 * a + 8
    return out


def render_scene(scene: WorldScene, seed: int, *, size: int | None = None) -> Image.Image:
    """The RGB picture of ``scene`` for ``seed`` at ``size`` (default: the world's native size)."""
    n = int(size or vocab().size)
    bg = _background(scene.scene, n, _rng(seed, 0))
    canvas = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(canvas)
    taken: list[tuple[float, float, float]] = []
    for i, group in enumerate(scene.objects):
        _draw_group(draw, group, n, _rng(seed, 1, i), taken)
    arr = _lighting(np.asarray(canvas, np.float32), scene.lighting, _rng(seed, 2))
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "RGB")


def render_text(text: str, seed: int, *, size: int | None = None) -> Image.Image:
    """Parse ``text`` (unknown words ignored) and render it."""
    return render_scene(parse_text(text), seed, size=size)
