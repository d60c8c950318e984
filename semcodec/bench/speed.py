"""``sembench speed``: encode and decode wall-clock times through the production code.

Models come from ``--model-dir`` (``DIR/<name>/``), loaded with the production
loaders (:func:`semcodec.backends.clip.load_critic`,
:func:`semcodec.backends.diffusers_gen.load_generator`).  With no real weights
at hand, ``--build DIR`` first writes the real architectures with random
weights (:mod:`semcodec.bench.random_weights`): compute does not depend on the
weights' values, so the times are those of the released models on the same
hardware.

What is timed, in this order (one process, models loaded once):

1. **load**: ``load_critic`` and ``load_generator`` (wall clock, the OS page
   cache as it happens to be);
2. **warm-up**: the first render and the first critic call after loading
   (one-time setup costs: allocator, kernels), reported, not mixed into the rest;
3. **encode**: :func:`semcodec.encoder.encode_image` with N, M, K as given on a
   synthetic image, the real critic and generator, and a describer stand-in
   that returns fixed valid prompts at once: the describe/refine time of a
   real describer (an API call or a local VLM) is **not measured**.  Reported
   from the encoder's own ``trace["timings_s"]``; the critic-and-decoder part
   is score_text + render + score_image;
4. **decode**: read the ``.sem`` file and :func:`semcodec.decoder.decode_image`,
   models already loaded (load time is item 1);
5. **render alone** at each step count of ``--steps`` (the registry fixes the
   decoder's own step count; others change the pixels and are timing only),
   with a split into text encoder, UNet (all steps) and VAE decoder measured
   by forward hooks.

On CUDA every measured section is bracketed by ``torch.cuda.synchronize()``.
Each of 3-5 runs ``--repeats`` times; the table shows medians, the JSON every run.
Process CPU seconds are reported beside wall seconds: on a shared CPU machine
their ratio shows whether the run had its cores to itself.
"""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ..backends.base import DescribeRequest, ModelCall
from ..errors import SemError
from ..prompt import Prompt
from ..registry import DECODERS, DEFAULT_CRITIC, DEFAULT_DECODER, decoder_by_name

SCHEMA = "semcodec.bench.speed/1"
DEFAULT_STEPS = "1,2,4"
MAX_STEPS = 50
ENCODE_KEYS = ("describe", "score_text", "render", "score_image", "fit", "total")
COMPONENTS = ("text_encoder", "unet", "vae_decoder")
DESCRIBER_NOTE = "not measured: API (a stand-in returned fixed prompts instantly)"

# Fixed, valid prompts of realistic length for the describer stand-in.
STAND_IN_PROMPTS: tuple[Prompt, ...] = (
    Prompt(
        scene="a red fox sitting in a snowy pine forest clearing",
        objects=("a red fox with a bushy tail", "snow-covered pine trees", "animal tracks in fresh snow"),
        lighting="soft overcast winter daylight",
        style="wildlife photograph",
    ),
    Prompt(
        scene="a fox resting at the edge of a winter forest",
        objects=("an orange fox curled up", "tall dark fir trees", "a fallen log under snow"),
        lighting="diffuse morning light, pale blue shadows",
        style="telephoto nature photo",
    ),
    Prompt(
        scene="snowy woodland with a small red animal in the foreground",
        objects=("a fox looking at the camera", "birch and pine trunks", "deep white snow"),
        lighting="cold flat light",
    ),
    Prompt(
        scene="a quiet forest glade in winter",
        objects=("a red fox standing still", "snow on branches", "a frozen stream"),
        lighting="low sun behind clouds",
        style="photograph",
    ),
)


class FixedDescriber:
    """A :class:`~semcodec.backends.base.Describer` that answers at once with fixed prompts.

    It stands in for the API or VLM describer so that only the critic and
    decoder are timed; each call is recorded with 0 seconds and $0.
    """

    name = "fixed-prompts (stand-in)"

    def __init__(self, prompts: tuple[Prompt, ...] = STAND_IN_PROMPTS) -> None:
        self.prompts = prompts
        self.calls: list[ModelCall] = []

    def _pick(self, m: int, offset: int) -> list[Prompt]:
        return [self.prompts[(offset + i) % len(self.prompts)] for i in range(m)]

    def describe(self, request: DescribeRequest) -> list[Prompt]:
        self.calls.append(ModelCall(kind="describe", model="fixed", seconds=0.0))
        return self._pick(request.m, 0)

    def refine(self, request: DescribeRequest, best: Prompt, feedback=None) -> list[Prompt]:
        self.calls.append(ModelCall(kind="refine", model="fixed", seconds=0.0))
        return [best, *self._pick(request.m - 1, len(self.calls))]

    def compress(self, request: DescribeRequest, prompt: Prompt) -> Prompt:
        self.calls.append(ModelCall(kind="compress", model="fixed", seconds=0.0))
        return prompt


# ---------------------------------------------------------------------------
# Timing helpers
# ---------------------------------------------------------------------------


def _torch() -> Any:
    from ..backends.device import import_torch

    return import_torch()


def synchronize(device: str) -> None:
    """Wait for queued GPU work (no-op on the CPU)."""
    kind = device.split(":", 1)[0]
    if kind == "cuda":
        _torch().cuda.synchronize(device)
    elif kind == "mps":
        _torch().mps.synchronize()


def timed(on: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """(result, seconds) of ``fn(*args, **kwargs)``, synchronised on device ``on`` both sides."""
    synchronize(on)
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    synchronize(on)
    return out, time.perf_counter() - start


@dataclass
class ComponentClock:
    """Seconds spent in forward passes of named modules (hooks; synchronised)."""

    device: str
    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    _start: dict[str, float] = field(default_factory=dict)

    def pre(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any) -> None:
            synchronize(self.device)
            self._start[name] = time.perf_counter()

        return hook

    def post(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any, output: Any) -> None:
            synchronize(self.device)
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - self._start.pop(name)
            self.calls[name] = self.calls.get(name, 0) + 1

        return hook


def _pipeline_modules(pipe: Any) -> dict[str, Any]:
    """The modules a render's time is split into (those the pipeline has)."""
    found = {
        "text_encoder": getattr(pipe, "text_encoder", None),
        "text_encoder_2": getattr(pipe, "text_encoder_2", None),
        "unet": getattr(pipe, "unet", None),
        "vae_decoder": getattr(getattr(pipe, "vae", None), "decoder", None),
    }
    return {k: v for k, v in found.items() if v is not None and hasattr(v, "register_forward_hook")}


@contextlib.contextmanager
def component_clock(pipe: Any, device: str) -> Iterator[ComponentClock]:
    clock = ComponentClock(device)
    handles = []
    try:
        for name, module in _pipeline_modules(pipe).items():
            handles.append(module.register_forward_pre_hook(clock.pre(name)))
            handles.append(module.register_forward_hook(clock.post(name)))
        yield clock
    finally:
        for h in handles:
            h.remove()


@contextlib.contextmanager
def steps_override(generator: Any, steps: int) -> Iterator[None]:
    """Render with ``steps`` denoising steps for the duration (timing only)."""
    before = generator.steps
    generator.steps = steps
    try:
        yield
    finally:
        generator.steps = before


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def synthetic_image(size: int) -> Any:
    """A deterministic RGB test picture (gradient, disc, noise), ``size`` x ``size``."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    img = np.stack([200 * x + 30, 120 + 80 * y, 220 - 150 * x * y], axis=-1)
    disc = (x - 0.6) ** 2 + (y - 0.45) ** 2 < 0.04
    img[disc] = (210, 90, 30)
    img += np.random.default_rng(0).normal(0, 6, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def _params(module: Any) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def _dtype_name(module: Any) -> str:
    return str(next(module.parameters()).dtype).replace("torch.", "")


def environment(device: str) -> dict[str, Any]:
    torch = _torch()
    versions: dict[str, str | None] = {"python": platform.python_version(), "torch": torch.__version__}
    for mod in ("diffusers", "transformers", "open_clip"):
        try:
            versions[mod] = __import__(mod).__version__
        except (ImportError, AttributeError):
            versions[mod] = None
    kind = device.split(":", 1)[0]
    if kind == "cuda":
        name = torch.cuda.get_device_name(device)
    elif kind == "mps":
        name = "Apple MPS"
    else:
        name = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
    return {
        "device": device,
        "device_name": name,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "versions": versions,
    }


def _loadavg() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (OSError, AttributeError):
        return None


# ---------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------


def _time_decodes(gen: Any, path: Path, repeats: int, dev: str, say: Callable[[str], None], label: str) -> dict:
    """Warm decodes of the .sem file at ``path`` with ``gen``: read, render, resize (the production path)."""
    from ..container import read as read_sem
    from ..decoder import decode_image

    decodes: list[float] = []
    decode_cpu: list[float] = []
    for r in range(repeats):
        say(f"decode with {label} {r + 1}/{repeats}")

        def decode_file() -> Any:
            sem, _ = read_sem(path)
            return decode_image(sem, gen)

        cpu_start = time.process_time()
        _, t_dec = timed(dev, decode_file)
        decode_cpu.append(time.process_time() - cpu_start)
        decodes.append(t_dec)
    return {"runs_s": decodes, "median_s": _median(decodes), "process_cpu_s": decode_cpu,
            "excludes": "model loading (see load_s)"}


def _time_renders(gen: Any, text: str, steps: tuple[int, ...], repeats: int, dev: str,
                  say: Callable[[str], None]) -> list[dict]:
    """Renders alone at each step count, split into text encoder / UNet / VAE decoder by hooks."""
    torch = _torch()
    renders = []
    for s in steps:
        runs, parts, cpu = [], [], []
        for r in range(repeats):
            say(f"render alone with {gen.name}, {s} step(s), {r + 1}/{repeats}")
            cpu_start = time.process_time()
            with steps_override(gen, s), component_clock(gen.pipe, dev) as clock, torch.inference_mode():
                _, t_r = timed(dev, gen.render, text, [r])
            cpu.append(time.process_time() - cpu_start)
            runs.append(t_r)
            parts.append(dict(clock.seconds))
        names = sorted({key for p in parts for key in p})
        comp = {key: _median([p.get(key, 0.0) for p in parts]) for key in names}
        comp["other"] = _median(runs) - sum(comp.values())
        renders.append({"steps": s, "registry": s == gen.steps, "runs_s": runs, "median_s": _median(runs),
                        "process_cpu_s": cpu, "components_median_s": comp})
    return renders


SETTINGS = ("registry", "threads=1", "no_grad instead of inference_mode", "channels-last toggled",
            "bf16 autocast")


@contextlib.contextmanager
def _setting(gen: Any, name: str) -> Iterator[Callable[[str], Any]]:
    """Apply one CPU setting of SETTINGS to ``gen`` for the duration; yields ``run(text) -> image``
    (one seed-0 render through the generator's pipeline call), and undoes the setting after."""
    if name not in SETTINGS:
        raise SemError(f"unknown setting {name!r}")
    torch = _torch()
    grad = torch.no_grad if name.startswith("no_grad") else torch.inference_mode
    undo: list[Callable[[], Any]] = []
    if name == "threads=1":
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        undo.append(lambda: torch.set_num_threads(before))
    elif name == "channels-last toggled":
        weight = gen.pipe.unet.conv_in.weight
        was_cl = weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
        fmt, back = ((torch.contiguous_format, torch.channels_last) if was_cl
                     else (torch.channels_last, torch.contiguous_format))
        for module in (gen.pipe.unet, gen.pipe.vae):
            module.to(memory_format=fmt)
            undo.append(lambda module=module: module.to(memory_format=back))

    def run(text: str) -> Any:
        cast = torch.autocast("cpu", dtype=torch.bfloat16) if name == "bf16 autocast" else contextlib.nullcontext()
        with grad(), cast:
            return gen.call_pipe(text, 0).images[0].convert("RGB")

    try:
        yield run
    finally:
        for step in undo:
            step()


def settings_sweep(gen: Any, text: str, repeats: int, dev: str, say: Callable[[str], None]) -> dict:
    """Each CPU setting of SETTINGS, one after another in this process: median wall seconds of a
    seed-0 render and whether its pixels equal the registry setting's (timing only: the registry
    decides what a decoder renders)."""
    import numpy as np

    if dev != "cpu":
        raise SemError("--cpu-settings measures CPU settings: use --device cpu")
    torch = _torch()
    out: dict[str, Any] = {"threads_default": torch.get_num_threads(),
                           "bf16_in_cpu": _cpu_has("avx512_bf16") or _cpu_has("amx_bf16"),
                           "settings": []}
    reference = None
    for name in SETTINGS:
        runs = []
        pixels = None
        with _setting(gen, name) as run:
            for r in range(repeats):
                say(f"cpu setting {name!r} {r + 1}/{repeats}")
                image, t = timed(dev, run, text)
                runs.append(t)
                px = np.asarray(image)
                if pixels is not None and not np.array_equal(px, pixels):
                    raise SemError(f"setting {name!r} is not deterministic: two renders differ")
                pixels = px
        if reference is None:
            reference = pixels
        diff = int(np.abs(pixels.astype(int) - reference.astype(int)).max())
        out["settings"].append({"name": name, "runs_s": runs, "median_s": _median(runs),
                                "same_pixels_as_registry": diff == 0, "max_abs_pixel_diff": diff})
    base = out["settings"][0]["median_s"]
    for row in out["settings"]:
        row["ratio_to_registry"] = row["median_s"] / base if base > 0 else None
    return out


def _cpu_has(flag: str) -> bool:
    try:
        return any(flag in line.split() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("flags"))
    except OSError:
        return False


def run_speed(
    *,
    model_dir: str | os.PathLike,
    device: str | None = None,
    decoder: str = DEFAULT_DECODER,
    critic: str = DEFAULT_CRITIC,
    n: int = 4,
    m: int = 3,
    k: int = 4,
    size: int | None = None,
    repeats: int = 1,
    steps: tuple[int, ...] = (1, 2, 4),
    compare: tuple[str, ...] = (),
    settings: bool = False,
    notify: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Load the models, time warm-up, encode, decode and renders; return the JSON-able report."""
    from ..backends.clip import load_critic
    from ..backends.device import pick_device
    from ..backends.diffusers_gen import load_generator
    from ..encoder import EncoderConfig, encode_image
    from ..io import atomic_write
    from .random_weights import read_marker

    say = notify or (lambda _line: None)
    spec = decoder_by_name(decoder)
    if spec.family != "diffusers":
        raise SemError(f"sembench speed times local decoders; {decoder} is {spec.family}")
    if repeats < 1 or not steps or any(not 1 <= s <= MAX_STEPS for s in steps):
        raise SemError(f"repeats must be >= 1 and steps in 1..{MAX_STEPS}")
    config = EncoderConfig(n=n, m=m, k=k, decoder=spec.name)
    try:
        config.validate()
    except ValueError as exc:
        raise SemError(str(exc)) from None
    dev = pick_device(device)
    _torch()  # torch missing: the clear MissingError now, before any model is loaded
    report: dict[str, Any] = {"schema": SCHEMA, "environment": environment(dev), "loadavg_start": _loadavg()}
    wall0, cpu0 = time.perf_counter(), time.process_time()

    say(f"loading {critic} and {spec.name} from {model_dir} on {dev}")
    crit, t_crit = timed(dev, load_critic, critic, device=dev, model_dir=model_dir)
    render_size = (size, size) if size is not None else None
    gen, t_gen = timed(dev, load_generator, spec, device=dev, model_dir=model_dir, size=render_size)
    width, height = gen.width, gen.height
    pipe = gen.pipe
    report["models"] = {
        "decoder": {
            "name": spec.name,
            "folder": str(gen.folder),
            "weights": read_marker(gen.folder) or "as found in the folder (no semcodec.json marker)",
            "pipeline": type(pipe).__name__,
            "scheduler": type(pipe.scheduler).__name__,
            "dtype": _dtype_name(pipe.unet),
            "params": {name: _params(mod) for name, mod in (("unet", pipe.unet), ("vae", pipe.vae),
                                                             ("text_encoder", pipe.text_encoder))},
            "registry_steps": gen.steps,
            "width": width,
            "height": height,
        },
        "critic": {
            "name": crit.name,
            "weights": read_marker(Path(model_dir) / crit.spec.name) or "as found in the folder",
            "dtype": str(crit._dtype).replace("torch.", ""),
            "params": _params(crit.model),
        },
    }
    report["config"] = {"n": n, "m": m, "k": k, "size": [width, height], "repeats": repeats, "steps": list(steps),
                        "budget_bytes": config.budget_bytes, "prompt_codec": config.prompt_codec}
    report["load_s"] = {"critic": t_crit, "decoder": t_gen}

    image = synthetic_image(width) if width == height else synthetic_image(max(width, height)).resize((width, height))
    text = STAND_IN_PROMPTS[0].text()
    say("warm-up: first render and first critic call")
    _, t_first_render = timed(dev, gen.render, text, [0])
    _, t_first_critic = timed(dev, lambda: (crit.embed_images([image]), crit.embed_texts([text])))
    report["warmup_s"] = {"first_render": t_first_render, "first_critic_image_and_text": t_first_critic}

    encodes: list[dict[str, float]] = []
    result = None
    for r in range(repeats):
        say(f"encode {r + 1}/{repeats}: N={n} M={m} K={k}")
        synchronize(dev)
        cpu_start = time.process_time()
        result = encode_image(image, config=config, critic=crit, generator=gen, describer=FixedDescriber())
        synchronize(dev)
        t = {key: float(result.trace.timings_s.get(key, 0.0)) for key in ENCODE_KEYS}
        t["critic_and_decoder"] = t["score_text"] + t["render"] + t["score_image"]
        t["process_cpu"] = time.process_time() - cpu_start
        encodes.append(t)
    assert result is not None
    calls = vars(result.trace.calls)
    report["encode"] = {
        "runs": encodes,
        "median_s": {key: _median([e[key] for e in encodes])
                     for key in (*ENCODE_KEYS, "critic_and_decoder", "process_cpu")},
        "describer": DESCRIBER_NOTE,
        "counts": {
            "renders": calls["renders"],
            "text_scorings": calls["text_scorings"],
            "image_embeddings": calls["renders"] + 1,
        },
        "file_bytes": result.file_bytes,
    }

    with tempfile.TemporaryDirectory(prefix="sembench-speed-") as tmp:
        path = Path(tmp) / "speed.sem"
        atomic_write(path, result.data)
        report["decode"] = _time_decodes(gen, path, repeats, dev, say, spec.name)
        report["render"] = _time_renders(gen, text, steps, repeats, dev, say)
        if compare:
            report["compare"] = []
            base_decode = report["decode"]["median_s"]
            base_render = next((r for r in report["render"] if r["registry"]), None)
            del gen, pipe  # one pipeline in memory at a time
            gc.collect()
            for name in compare:
                other = decoder_by_name(name)
                if other.family != "diffusers":
                    raise SemError(f"--compare takes local decoders; {name} is {other.family}")
                say(f"loading {other.name} to compare")
                gen2, t_load = timed(dev, load_generator, other, device=dev, model_dir=model_dir, size=render_size)
                _, t_first = timed(dev, gen2.render, text, [0])
                entry: dict[str, Any] = {
                    "name": other.name,
                    "folder": str(gen2.folder),
                    "weights": read_marker(gen2.folder) or "as found in the folder (no semcodec.json marker)",
                    "vae": type(gen2.pipe.vae).__name__,
                    "params": {k: _params(mod) for k, mod in (("unet", gen2.pipe.unet), ("vae", gen2.pipe.vae),
                                                             ("text_encoder", gen2.pipe.text_encoder))},
                    "load_s": t_load,
                    "first_render_s": t_first,
                    "decode": _time_decodes(gen2, path, repeats, dev, say, other.name),
                    "render": _time_renders(gen2, text, (gen2.steps,), repeats, dev, say),
                }
                entry["decode_ratio"] = entry["decode"]["median_s"] / base_decode if base_decode > 0 else None
                if base_render is not None:
                    mine = entry["render"][0]["median_s"]
                    entry["render_ratio"] = mine / base_render["median_s"] if base_render["median_s"] > 0 else None
                if settings:
                    entry["cpu_settings"] = settings_sweep(gen2, text, repeats, dev, say)
                report["compare"].append(entry)
                del gen2
                gc.collect()
        elif settings:
            report["cpu_settings"] = settings_sweep(gen, text, repeats, dev, say)
    report["loadavg_end"] = _loadavg()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    # CPU seconds this process got per wall second: near torch_threads on an idle CPU machine,
    # lower when other processes competed for the cores
    report["process"] = {"wall_s": wall, "cpu_s": cpu, "cpu_per_wall": cpu / wall if wall > 0 else None}
    report["notes"] = [
        "describe/refine time is not included: " + DESCRIBER_NOTE,
        "renders at a step count other than the registry's are timing only (different pixels)",
        "load_s depends on the OS page cache (a model just written or read is likely cached)",
        "process_cpu values are CPU seconds of this process (all threads): on the CPU, cpu/wall well below "
        "torch_threads means other processes took cores and the wall times are inflated",
    ]
    if isinstance(report["models"]["decoder"]["weights"], dict) and report["models"]["decoder"]["weights"].get(
        "random_weights"
    ):
        report["notes"].append("weights are RANDOM (real architecture): times are real, images are noise")
    return report


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _row(label: str, seconds: float | None, cpu: float | None = None, note: str = "") -> str:
    sec = f"{seconds:10.3f}" if seconds is not None else f"{'n/a':>10}"
    cpu_text = f"{cpu:10.3f}" if cpu is not None else " " * 10
    return f"{label:<44}{sec}{cpu_text}{'  ' + note if note else ''}".rstrip()


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table: wall seconds (medians over repeats) and process CPU seconds."""
    env, models, cfg = report["environment"], report["models"], report["config"]
    dec, cri = models["decoder"], models["critic"]
    random = isinstance(dec["weights"], dict) and dec["weights"].get("random_weights")
    v = env["versions"]
    proc = report["process"]
    lines = [
        f"device: {env['device']} ({env['device_name']}), {env['cpu_count']} CPUs, torch threads {env['torch_threads']}",
        f"torch {v['torch']}, diffusers {v['diffusers']}, transformers {v['transformers']}, open_clip {v['open_clip']}",
        f"decoder: {dec['name']} {dec['pipeline']} {dec['dtype']} {dec['width']}x{dec['height']}, "
        f"UNet {dec['params']['unet'] / 1e6:.1f}M params; critic {cri['name']} {cri['dtype']}"
        + ("; RANDOM weights (real architecture)" if random else ""),
        f"encode N={cfg['n']} M={cfg['m']} K={cfg['k']}, repeats {cfg['repeats']}; "
        f"load average {report.get('loadavg_start')} -> {report.get('loadavg_end')}; "
        f"process CPU/wall {proc['cpu_per_wall']:.2f}",
        "",
        f"{'section':<44}{'wall s':>10}{'cpu s':>10}",
        _row("load critic", report["load_s"]["critic"]),
        _row("load decoder", report["load_s"]["decoder"]),
        _row("first render after load (warm-up)", report["warmup_s"]["first_render"]),
        _row("first critic call (warm-up)", report["warmup_s"]["first_critic_image_and_text"]),
    ]
    enc = report["encode"]["median_s"]
    counts = report["encode"]["counts"]
    dec_cpu = report["decode"].get("process_cpu_s") or []
    lines += [
        _row("encode: describe/refine", None, note=DESCRIBER_NOTE),
        _row(f"encode: score_text ({counts['text_scorings']} texts)", enc["score_text"]),
        _row(f"encode: render ({counts['renders']} images)", enc["render"]),
        _row(f"encode: score_image ({counts['image_embeddings']} images)", enc["score_image"]),
        _row("encode: fit to budget", enc["fit"]),
        _row("encode: critic + decoder", enc["critic_and_decoder"]),
        _row("encode: total (stand-in describer)", enc["total"], enc.get("process_cpu")),
        _row("decode (warm: parse + render + resize)", report["decode"]["median_s"],
             _median(dec_cpu) if dec_cpu else None),
    ]
    for r in report["render"]:
        mark = " (registry)" if r["registry"] else " (timing only)"
        cpu = r.get("process_cpu_s") or []
        lines.append(_row(f"render alone, {r['steps']} step(s){mark}", r["median_s"], _median(cpu) if cpu else None))
        for name, sec in r["components_median_s"].items():
            lines.append(_row(f"  {name}", sec))
    for c in report.get("compare", []):
        dec_cpu = c["decode"].get("process_cpu_s") or []
        lines += [
            "",
            f"compared in the same run: {c['name']} (vae {c['vae']}, {c['params']['vae'] / 1e6:.2f}M params)",
            _row(f"load {c['name']}", c["load_s"]),
            _row("first render after load (warm-up)", c["first_render_s"]),
            _row(f"decode with {c['name']} (warm)", c["decode"]["median_s"], _median(dec_cpu) if dec_cpu else None,
                 note=f"{c['decode_ratio']:.3f}x the {dec['name']} decode" if c.get("decode_ratio") else ""),
        ]
        for r in c["render"]:
            cpu = r.get("process_cpu_s") or []
            note = f"{c['render_ratio']:.3f}x" if c.get("render_ratio") else ""
            lines.append(_row(f"render alone, {r['steps']} step(s) (registry)", r["median_s"],
                              _median(cpu) if cpu else None, note=note))
            for name, sec in r["components_median_s"].items():
                lines.append(_row(f"  {name}", sec))
        if "cpu_settings" in c:
            lines += _settings_lines(c["name"], c["cpu_settings"])
    if "cpu_settings" in report:
        lines += _settings_lines(dec["name"], report["cpu_settings"])
    return "\n".join(lines)


def _settings_lines(name: str, sweep: dict[str, Any]) -> list[str]:
    lines = ["", f"CPU settings for {name} (one render each, seed 0; torch threads {sweep['threads_default']}, "
                 f"bf16 in this CPU: {'yes' if sweep['bf16_in_cpu'] else 'no'})"]
    for row in sweep["settings"]:
        same = "same pixels" if row["same_pixels_as_registry"] else f"pixels differ (max {row['max_abs_pixel_diff']})"
        lines.append(_row(f"  {row['name']}", row["median_s"], note=f"{row['ratio_to_registry']:.3f}x, {same}"))
    return lines


LOCAL_DECODERS = [d.name for d in DECODERS if d.family == "diffusers"]
DEFAULT_COMPARE = {"sd-turbo": ("sd-turbo-taesd",)}
