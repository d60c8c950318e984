"""world-seer: a small CNN that reads a world picture into its scene graph.

The synthetic world's stand-in for a describer that *sees* the image (a
vision-language model such as gpt-4.1-mini or Qwen3-VL).  It predicts the
scene graph as slots:

- ``scene``: the background (12-way softmax),
- ``lighting``: 6-way,
- for each of the 48 (colour, shape) slots a ``count`` head (absent, 1, 2, 3)
  and a ``size`` head (small / large, trained only where the slot is present).

Decoding takes the most probable value of every head; :meth:`SeerModel` output
is a :class:`SlotBelief` whose :meth:`SlotBelief.hypotheses` lists the most
probable distinct scene graphs under the factorised distribution (a beam over
the least sure decisions).  :class:`Seer` implements the
:class:`~semcodec.backends.base.Describer` protocol on top; it is
deterministic (no sampling at inference).

Weights ship inside the package (``data/world-seer/``: ``config.json``,
``model.safetensors``), trained by ``tools/train_world_seer.py`` (log and
held-out accuracy next to the weights).  torch is imported only when a model
is built, so importing this module is cheap.
"""

from __future__ import annotations

import heapq
import json
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..backends.base import DescribeRequest, ModelCall
from ..prompt import Prompt
from .grammar import DATA_DIR, MAX_GROUPS, ObjectGroup, WorldScene, vocab

MODEL_NAME = "world-seer"
MODEL_DIR = DATA_DIR / MODEL_NAME
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
IMAGE = 128  # input side in pixels (the world's native size)
COUNTS = (0, 1, 2, 3)  # count classes: absent, 1, 2, 3
DEFAULT_ARCH = {"widths": [24, 32, 48, 64, 96, 128], "strides": [2, 2, 1, 2, 1, 2], "hidden": 256, "topk": 4,
                "slot_hidden": 32}


# ---------------------------------------------------------------------------
# Label space
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    scenes: tuple[str, ...]
    lighting: tuple[str, ...]
    slots: tuple[tuple[str, str], ...]  # (colour, shape), colour-major
    sizes: tuple[str, ...]

    def slot_index(self, colour: str | None, shape: str) -> int:
        return self.slots.index((colour, shape))


@lru_cache(maxsize=None)
def labels() -> Labels:
    v = vocab()
    return Labels(scenes=tuple(v.scenes), lighting=tuple(v.lighting),
                  slots=tuple((c, s) for c in v.colours for s in v.shapes), sizes=tuple(v.sizes))


def encode_targets(scene: WorldScene) -> dict[str, Any]:
    """Training targets of one scene: scene / lighting index, (48,) count class, (48,) size index (-1: absent)."""
    lab = labels()
    count = np.zeros(len(lab.slots), np.int64)
    size = np.full(len(lab.slots), -1, np.int64)
    for g in scene.objects:
        j = lab.slot_index(g.colour, g.shape)
        count[j] = g.count
        size[j] = lab.sizes.index(g.size)
    return {"scene": lab.scenes.index(scene.scene), "lighting": lab.lighting.index(scene.lighting),
            "count": count, "size": size}


# ---------------------------------------------------------------------------
# The network (plain torch, built lazily)
# ---------------------------------------------------------------------------


def image_array(image) -> np.ndarray:
    """A PIL image (any size / mode) -> (128, 128, 3) uint8."""
    from PIL import Image

    img = image.convert("RGB")
    if img.size != (IMAGE, IMAGE):
        img = img.resize((IMAGE, IMAGE), Image.BICUBIC)
    return np.asarray(img, dtype=np.uint8)


def build_net(arch: dict | None = None):
    """The torch module: conv blocks, then

    - scene and lighting: global mean and max pooling -> a hidden layer -> linear heads;
    - objects, per cell of the last feature map (one more 3x3 convolution, then 1x1): whether an object
      is centred there (``objectness``), and that object's colour, shape and size (trained on the
      renderer's object centres).  A colour and a shape are bound by where they are, so each slot's
      evidence per cell is objectness x p(colour) x p(shape);
    - count: each slot's sorted top cell evidences and their sum go through layers shared by all
      slots, plus a bias per slot, to 4 logits (absent, 1, 2, 3);
    - size: each slot's per-cell size probabilities averaged with its evidence as weights.
    """
    import torch
    from torch import nn

    arch = dict(DEFAULT_ARCH if arch is None else arch)
    lab = labels()
    n_col, n_shape = len(vocab().colours), len(vocab().shapes)
    n_slots = len(lab.slots)
    topk = int(arch.get("topk", 4))
    slot_hidden = int(arch.get("slot_hidden", 32))

    class SeerNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = []
            c_in = 6  # RGB, and RGB normalised per image (so night and fog keep their contrast)
            for w, s in zip(arch["widths"], arch["strides"]):
                layers += [nn.Conv2d(c_in, w, 3, stride=s, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
                c_in = w
            self.features = nn.Sequential(*layers)
            h = arch["hidden"]
            self.trunk = nn.Sequential(nn.Linear(2 * c_in + 6, h), nn.ReLU(inplace=True))
            self.scene = nn.Linear(h, len(lab.scenes))
            self.lighting = nn.Linear(h, len(lab.lighting))
            self.cells = nn.Sequential(nn.Conv2d(c_in, c_in, 3, padding=1, bias=False), nn.BatchNorm2d(c_in),
                                       nn.ReLU(inplace=True), nn.Conv2d(c_in, 1 + n_col + n_shape + len(lab.sizes), 1))
            self.slot_mlp = nn.Sequential(nn.Linear(topk + 1, slot_hidden), nn.ReLU(inplace=True),
                                          nn.Linear(slot_hidden, len(COUNTS)))
            self.count_bias = nn.Parameter(torch.zeros(n_slots, len(COUNTS)))

        def forward(self, x):  # x: (n, 3, H, W) float in 0..1
            mean = x.mean(dim=(2, 3), keepdim=True)
            std = x.std(dim=(2, 3), keepdim=True).clamp_min(0.02)
            z = torch.cat([x - 0.5, (x - mean) / std], 1)
            f = self.features(z)  # (n, C, h, w)
            g = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3)), mean.flatten(1), std.flatten(1)], 1)
            h = self.trunk(g)
            c = self.cells(f).flatten(2)  # (n, 1 + colours + shapes + sizes, h*w)
            obj = c[:, :1]
            col, shp = c[:, 1:1 + n_col], c[:, 1 + n_col:1 + n_col + n_shape]
            siz = c[:, 1 + n_col + n_shape:]
            pc, ps = torch.softmax(col, 1), torch.softmax(shp, 1)
            ev = torch.sigmoid(obj) * (pc[:, :, None] * ps[:, None]).flatten(1, 2)  # (n, slots, h*w), colour-major
            top = ev.topk(topk, dim=2).values
            count = self.slot_mlp(torch.cat([top, ev.sum(2, keepdim=True)], 2)) + self.count_bias
            w = ev / ev.sum(2, keepdim=True).clamp_min(1e-6)
            size = torch.log(torch.einsum("nsl,nzl->nsz", w, torch.softmax(siz, 1)).clamp_min(1e-6))
            return {"scene": self.scene(h), "lighting": self.lighting(h), "count": count, "size": size,
                    "objectness": obj[:, 0], "colour": col, "shape": shp, "cell_size": siz}

    return SeerNet()


def to_tensor(batch: np.ndarray):
    """(n, H, W, 3) uint8 -> (n, 3, H, W) float32 in 0..1."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float().div_(255.0)


# ---------------------------------------------------------------------------
# Beliefs: the per-head distributions of one image, and decoding
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One head's choice: which head, its options best first, their log-probabilities."""

    head: str  # "scene" | "lighting" | "count:<slot>" | "size:<slot>"
    options: tuple[Any, ...]
    logp: tuple[float, ...]

    @property
    def margin(self) -> float:
        """How sure the head is: log-probability gap between its best and second option."""
        return self.logp[0] - self.logp[1] if len(self.logp) > 1 else math.inf


@dataclass
class SlotBelief:
    """Per-head probabilities of one image (numpy, float64)."""

    scene: np.ndarray  # (12,)
    lighting: np.ndarray  # (6,)
    count: np.ndarray  # (48, 4)
    size: np.ndarray  # (48, 2)

    # -- heads as decisions ------------------------------------------------
    def _decision(self, head: str, probs: np.ndarray, options: Sequence[Any]) -> Decision:
        order = np.argsort(-probs, kind="stable")
        lp = np.log(np.clip(probs[order], 1e-12, 1.0))
        return Decision(head, tuple(options[i] for i in order), tuple(float(v) for v in lp))

    def decisions(self) -> list[Decision]:
        """Every head: scene, lighting, each slot's count, and the size of each slot whose best count is present."""
        lab = labels()
        out = [self._decision("scene", self.scene, lab.scenes), self._decision("lighting", self.lighting, lab.lighting)]
        for j in range(len(lab.slots)):
            out.append(self._decision(f"count:{j}", self.count[j], COUNTS))
        for j in range(len(lab.slots)):
            out.append(self._decision(f"size:{j}", self.size[j], lab.sizes))
        return out

    def slot_confidence(self, j: int) -> float:
        """Probability that slot ``j`` holds its decoded group (count and size both right)."""
        c = int(np.argmax(self.count[j]))
        return float(self.count[j, c] * (np.max(self.size[j]) if c else 1.0))

    # -- scene graphs --------------------------------------------------------
    def assemble(self, choice: dict[str, Any]) -> WorldScene:
        """A WorldScene from a value per head (missing heads: their argmax); groups by confidence, at most MAX_GROUPS."""
        lab = labels()
        scene = choice.get("scene", lab.scenes[int(np.argmax(self.scene))])
        light = choice.get("lighting", lab.lighting[int(np.argmax(self.lighting))])
        groups = []
        for j, (colour, shape) in enumerate(lab.slots):
            c = choice.get(f"count:{j}", COUNTS[int(np.argmax(self.count[j]))])
            if not c:
                continue
            size = choice.get(f"size:{j}", lab.sizes[int(np.argmax(self.size[j]))])
            conf = self.count[j, c] * self.size[j, lab.sizes.index(size)]
            groups.append((-conf, j, ObjectGroup(count=int(c), size=size, colour=colour, shape=shape)))
        groups.sort(key=lambda t: (t[0], t[1]))
        return WorldScene(scene=scene, objects=tuple(g for _, _, g in groups[:MAX_GROUPS]), lighting=light)

    def best(self) -> WorldScene:
        return self.assemble({})

    def logp(self, scene: WorldScene) -> float:
        """Log-probability of a scene graph under the factorised distribution."""
        lab = labels()
        lp = math.log(max(self.scene[lab.scenes.index(scene.scene)], 1e-12)) if scene.scene in lab.scenes else -30.0
        lp += math.log(max(self.lighting[lab.lighting.index(scene.lighting)], 1e-12)) if scene.lighting in lab.lighting else -30.0
        present = {}
        for g in scene.objects:
            if (g.colour, g.shape) in lab.slots:
                present[lab.slot_index(g.colour, g.shape)] = g
        for j in range(len(lab.slots)):
            g = present.get(j)
            if g is None:
                lp += math.log(max(self.count[j, 0], 1e-12))
            else:
                lp += math.log(max(self.count[j, g.count], 1e-12))
                if g.size in lab.sizes:
                    lp += math.log(max(self.size[j, lab.sizes.index(g.size)], 1e-12))
        return lp

    def hypotheses(self, m: int, *, width: int = 12) -> list[tuple[float, WorldScene]]:
        """The ``m`` most probable distinct scene graphs, (log-probability, scene), best first.

        Exact best-first enumeration of joint assignments over the ``width``
        least sure heads (each limited to its two or three best options, the
        others at their argmax); the graphs are distinct after assembly.
        """
        m = max(1, int(m))
        ds = [d for d in self.decisions() if not d.head.startswith("size:") or self._present(d.head)]
        ds.sort(key=lambda d: (d.margin, d.head))
        ds = ds[:width]
        ds = [Decision(d.head, d.options[:3], d.logp[:3]) for d in ds]
        base = sum(d.logp[0] for d in ds)
        # best-first over index vectors (a lazy k-best of a sum of independent choices)
        start = (0,) * len(ds)
        heap = [(0.0, start)]
        seen_idx = {start}
        out: list[tuple[float, WorldScene]] = []
        texts: set[str] = set()
        pops = 0
        while heap and len(out) < m and pops < 50 * m + 200:
            pops += 1
            cost, idx = heapq.heappop(heap)
            scene = self.assemble({d.head: d.options[i] for d, i in zip(ds, idx)})
            if scene.text() not in texts:
                texts.add(scene.text())
                out.append((self.logp(scene), scene))
            for k, d in enumerate(ds):
                if idx[k] + 1 < len(d.options):
                    nxt = idx[:k] + (idx[k] + 1,) + idx[k + 1:]
                    if nxt not in seen_idx:
                        seen_idx.add(nxt)
                        c = base - sum(dd.logp[i] for dd, i in zip(ds, nxt))
                        heapq.heappush(heap, (c, nxt))
        out.sort(key=lambda t: -t[0])
        return out

    def _present(self, head: str) -> bool:
        j = int(head.split(":")[1])
        return bool(np.argmax(self.count[j]))


# ---------------------------------------------------------------------------
# The model: weights + inference
# ---------------------------------------------------------------------------


class SeerModel:
    """The trained network and its inference (deterministic; CPU unless told otherwise)."""

    def __init__(self, net, config: dict, *, device: str | None = None) -> None:
        import torch

        self.torch = torch
        self.device = torch.device(device or "cpu")
        self.net = net.to(self.device).eval()
        self.config = config

    @classmethod
    def load(cls, model_dir: str | Path | None = None, *, device: str | None = None) -> "SeerModel":
        from safetensors.torch import load_file

        root = MODEL_DIR
        if model_dir is not None:  # a folder with the weights, or one holding world-seer/ (else: the shipped ones)
            for cand in (Path(model_dir) / MODEL_NAME, Path(model_dir)):
                if (cand / WEIGHTS_FILE).exists() and (cand / CONFIG_FILE).exists():
                    root = cand
                    break
        config = json.loads((root / CONFIG_FILE).read_text(encoding="utf-8"))
        net = build_net(config.get("arch"))
        state = {k: (v.float() if v.is_floating_point() else v) for k, v in load_file(str(root / WEIGHTS_FILE)).items()}
        net.load_state_dict(state)
        return cls(net, config, device=device)

    def beliefs(self, images: Sequence[Any]) -> list[SlotBelief]:
        """PIL images -> one SlotBelief each."""
        torch = self.torch
        arr = np.stack([image_array(im) for im in images])
        out: list[SlotBelief] = []
        with torch.no_grad():
            for i in range(0, len(arr), 64):
                y = self.net(to_tensor(arr[i:i + 64]).to(self.device))
                p = {k: torch.softmax(y[k].double(), dim=-1).cpu().numpy() for k in ("scene", "lighting", "count", "size")}
                for b in range(len(p["scene"])):
                    out.append(SlotBelief(scene=p["scene"][b], lighting=p["lighting"][b], count=p["count"][b],
                                          size=p["size"][b]))
        return out

    def predict(self, images: Sequence[Any]) -> list[WorldScene]:
        """The most probable scene graph of each image."""
        return [b.best() for b in self.beliefs(images)]

    def hypotheses(self, image, m: int) -> list[WorldScene]:
        """The ``m`` most probable distinct scene graphs of one image, best first."""
        return [s for _, s in self.beliefs([image])[0].hypotheses(m)]


# ---------------------------------------------------------------------------
# The describer
# ---------------------------------------------------------------------------


def _nbytes(prompt: Prompt) -> int:
    return len(prompt.text().encode("utf-8"))


def fit_scene(scene: WorldScene, belief: SlotBelief, max_bytes: int) -> WorldScene:
    """Drop the least confident object groups until the text fits ``max_bytes`` (scene and lighting stay)."""
    lab = labels()
    objs = list(scene.objects)

    def conf(g: ObjectGroup) -> float:
        if (g.colour, g.shape) not in lab.slots or g.size not in lab.sizes:
            return 0.0  # a group the seer cannot name goes first
        j = lab.slot_index(g.colour, g.shape)
        return float(belief.count[j, g.count] * belief.size[j, lab.sizes.index(g.size)])

    while objs and _nbytes(WorldScene(scene.scene, tuple(objs), scene.lighting).to_prompt()) > max_bytes:
        objs.remove(min(objs, key=conf))
    return WorldScene(scene.scene, tuple(objs), scene.lighting)


class Seer:
    """A :class:`~semcodec.backends.base.Describer` that reads the picture with the world-seer CNN."""

    name = MODEL_NAME

    def __init__(self, model: SeerModel) -> None:
        self.model = model
        self.calls: list[ModelCall] = []
        self._belief: tuple[Any, SlotBelief] | None = None  # (image object, its belief)
        self._proposed: dict[int, set[str]] = {}  # id(image) -> texts already proposed

    def _read(self, image) -> SlotBelief:
        if self._belief is None or self._belief[0] is not image:
            self._belief = (image, self.model.beliefs([image])[0])
            self._proposed = {id(image): set()}
        return self._belief[1]

    def _record(self, kind: str, start: float, **extra: Any) -> None:
        self.calls.append(ModelCall(kind=kind, model=MODEL_NAME, seconds=time.perf_counter() - start, extra=extra))

    # -- Describer -----------------------------------------------------------
    def describe(self, request: DescribeRequest) -> list[Prompt]:
        """The top ``request.m`` hypotheses, each fitted to the byte budget (distinct after fitting)."""
        start = time.perf_counter()
        belief = self._read(request.image)
        out: list[Prompt] = []
        seen: set[str] = set()
        for _, s in belief.hypotheses(4 * request.m + 4):
            p = fit_scene(s, belief, request.max_text_bytes).to_prompt()
            if p.text() not in seen:
                seen.add(p.text())
                out.append(p)
            if len(out) >= request.m:
                break
        self._proposed.setdefault(id(request.image), set()).update(seen)
        self._record("describe", start, proposals=len(out))
        return out

    def alternatives(self, belief: SlotBelief, best: WorldScene) -> list[tuple[float, WorldScene]]:
        """Every one-part change of ``best``, with its log-probability: another count or size of a group,
        another (colour, shape) slot for a group, a group dropped or added, another scene or lighting."""
        lab = labels()
        out: list[WorldScene] = []
        objs = list(best.objects)
        for si in np.argsort(-belief.scene, kind="stable")[:4]:
            if lab.scenes[si] != best.scene:
                out.append(WorldScene(lab.scenes[si], best.objects, best.lighting))
        for li in np.argsort(-belief.lighting, kind="stable")[:4]:
            if lab.lighting[li] != best.lighting:
                out.append(WorldScene(best.scene, best.objects, lab.lighting[li]))
        taken = {(g.colour, g.shape) for g in objs}
        for i, g in enumerate(objs):
            rest = objs[:i] + objs[i + 1:]
            out.append(WorldScene(best.scene, tuple(rest), best.lighting))
            for c in (1, 2, 3):
                if c != g.count:
                    out.append(WorldScene(best.scene, tuple(objs[:i] + [ObjectGroup(c, g.size, g.colour, g.shape)]
                                                            + objs[i + 1:]), best.lighting))
            for sz in lab.sizes:
                if sz != g.size:
                    out.append(WorldScene(best.scene, tuple(objs[:i] + [ObjectGroup(g.count, sz, g.colour, g.shape)]
                                                            + objs[i + 1:]), best.lighting))
            for j, (colour, shape) in enumerate(lab.slots):  # the same group seen as another colour or shape
                if (colour, shape) in taken or (colour != g.colour and shape != g.shape):
                    continue
                out.append(WorldScene(best.scene, tuple(objs[:i] + [ObjectGroup(g.count, g.size, colour, shape)]
                                                        + objs[i + 1:]), best.lighting))
        if len(objs) < MAX_GROUPS:  # a group it did not decode, at its most likely count and size
            for j in np.argsort(belief.count[:, 0], kind="stable")[:8]:
                if lab.slots[j] in taken:
                    continue
                c = int(np.argmax(belief.count[j, 1:])) + 1
                sz = lab.sizes[int(np.argmax(belief.size[j]))]
                colour, shape = lab.slots[j]
                out.append(WorldScene(best.scene, tuple(objs + [ObjectGroup(c, sz, colour, shape)]), best.lighting))
        scored = [(belief.logp(s), s) for s in out]
        scored.sort(key=lambda t: -t[0])  # stable: ties keep the listing order
        return scored

    def refine(self, request: DescribeRequest, best: Prompt, feedback=None) -> list[Prompt]:
        """Up to ``request.m`` alternatives to ``best`` in the parts the model is least sure of, most probable
        first, never a prompt already proposed for this image.  ``feedback`` is not used."""
        from .grammar import parse_text

        start = time.perf_counter()
        belief = self._read(request.image)
        done = self._proposed.setdefault(id(request.image), set())
        done.add(best.text())
        cur = parse_text(best.text())
        out: list[Prompt] = []
        cands = [s for _, s in belief.hypotheses(2 * request.m + 2)] + [s for _, s in self.alternatives(belief, cur)]
        ranked = sorted(((belief.logp(s), k, s) for k, s in enumerate(cands)), key=lambda t: (-t[0], t[1]))
        for _, _, s in ranked:
            p = fit_scene(s, belief, request.max_text_bytes).to_prompt()
            if p.text() in done:
                continue
            done.add(p.text())
            out.append(p)
            if len(out) >= request.m:
                break
        self._record("refine", start, proposals=len(out))
        return out or [best]

    def compress(self, request: DescribeRequest, prompt: Prompt) -> Prompt:
        """Drop the least confident object groups, then the lighting, until the text fits."""
        from .grammar import parse_text

        start = time.perf_counter()
        belief = self._read(request.image)
        s = parse_text(prompt.text())
        lab = labels()
        if all((g.colour, g.shape) in lab.slots and g.size in lab.sizes for g in s.objects) and s.scene and s.lighting:
            p = fit_scene(s, belief, request.max_text_bytes).to_prompt()
        else:  # not a world prompt of ours: drop from the end
            p = prompt
            while _nbytes(p) > request.max_text_bytes and p.objects:
                p = p.with_objects(p.objects[:-1])
        if _nbytes(p) > request.max_text_bytes and p.lighting:
            p = p.replace(lighting="")
        self._record("compress", start)
        return p


def load_describer(critic=None, *, vocabulary=None, device: str | None = None, model_dir=None) -> Seer:
    """A Seer over the shipped weights (or ``model_dir``: a folder with config.json + model.safetensors,
    or one holding ``world-seer/``).  ``critic`` and ``vocabulary`` are accepted for the loader table's
    common signature and ignored: the seer reads the picture itself."""
    return Seer(SeerModel.load(model_dir, device=device))
