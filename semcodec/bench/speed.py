"""``sembench speed``: encode and decode wall-clock times through the production code.

Models come from ``--model-dir`` (``DIR/<name>/``), loaded with the production
loaders (:func:`semcodec.backends.clip.load_critic`,
:func:`semcodec.backends.diffusers_gen.load_generator`).  With no real weights
at hand, ``--build DIR`` first writes the real architectures with random
weights (:mod:`semcodec.testing.real_arch`): compute does not depend on the
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
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from ..backends.base import DescribeRequest, ModelCall
from ..cli.common import device_option, message, quiet_option, run_main, sem_errors
from ..errors import SemError
from ..prompt import Prompt
from ..registry import DECODERS, DEFAULT_CRITIC, critic_names, decoder_by_name

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


def run_speed(
    *,
    model_dir: str | os.PathLike,
    device: str | None = None,
    decoder: str = "sd-turbo",
    critic: str = DEFAULT_CRITIC,
    n: int = 4,
    m: int = 3,
    k: int = 4,
    size: int | None = None,
    repeats: int = 1,
    steps: tuple[int, ...] = (1, 2, 4),
    notify: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Load the models, time warm-up, encode, decode and renders; return the JSON-able report."""
    from ..backends.clip import load_critic
    from ..backends.device import pick_device
    from ..backends.diffusers_gen import load_generator
    from ..container import read as read_sem
    from ..decoder import decode_image
    from ..encoder import EncoderConfig, encode_image
    from ..io import atomic_write
    from ..testing.real_arch import read_marker

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
    torch = _torch()
    report: dict[str, Any] = {"schema": SCHEMA, "environment": environment(dev), "loadavg_start": _loadavg()}
    wall0, cpu0 = time.perf_counter(), time.process_time()

    say(f"loading {critic} and {spec.name} from {model_dir} on {dev}")
    crit, t_crit = timed(dev, load_critic, critic, device=dev, model_dir=model_dir)
    gen, t_gen = timed(dev, load_generator, spec, device=dev, model_dir=model_dir)
    if size is not None:
        if size % gen.vae_scale_factor:
            raise SemError(f"--size must be a multiple of {gen.vae_scale_factor} for {spec.name}")
        gen.width = gen.height = size
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
        t = {key: float(result.trace["timings_s"].get(key, 0.0)) for key in ENCODE_KEYS}
        t["critic_and_decoder"] = t["score_text"] + t["render"] + t["score_image"]
        t["process_cpu"] = time.process_time() - cpu_start
        encodes.append(t)
    assert result is not None
    calls = result.trace["calls"]
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

    decodes: list[float] = []
    decode_cpu: list[float] = []
    with tempfile.TemporaryDirectory(prefix="sembench-speed-") as tmp:
        path = Path(tmp) / "speed.sem"
        atomic_write(path, result.data)
        for r in range(repeats):
            say(f"decode {r + 1}/{repeats}")

            def decode_file() -> Any:
                sem, _ = read_sem(path)
                return decode_image(sem, gen)

            cpu_start = time.process_time()
            _, t_dec = timed(dev, decode_file)
            decode_cpu.append(time.process_time() - cpu_start)
            decodes.append(t_dec)
    report["decode"] = {"runs_s": decodes, "median_s": _median(decodes), "process_cpu_s": decode_cpu,
                        "excludes": "model loading (see load_s)"}

    renders = []
    for s in steps:
        runs, parts, cpu = [], [], []
        for r in range(repeats):
            say(f"render alone, {s} step(s), {r + 1}/{repeats}")
            cpu_start = time.process_time()
            with steps_override(gen, s), component_clock(pipe, dev) as clock, torch.inference_mode():
                _, t_r = timed(dev, gen.render, text, [r])
            cpu.append(time.process_time() - cpu_start)
            runs.append(t_r)
            parts.append(dict(clock.seconds))
        names = sorted({key for p in parts for key in p})
        comp = {key: _median([p.get(key, 0.0) for p in parts]) for key in names}
        comp["other"] = _median(runs) - sum(comp.values())
        renders.append({"steps": s, "registry": s == gen.steps, "runs_s": runs, "median_s": _median(runs),
                        "process_cpu_s": cpu, "components_median_s": comp})
    report["render"] = renders
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
    return "\n".join(lines)


def _parse_steps(value: str) -> tuple[int, ...]:
    try:
        out = tuple(int(x) for x in value.split(",") if x.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma list of integers") from None
    if not out or any(not 1 <= s <= MAX_STEPS for s in out):
        raise click.BadParameter(f"step counts must be 1..{MAX_STEPS}")
    return out


_LOCAL_DECODERS = [d.name for d in DECODERS if d.family == "diffusers"]


@click.command("speed", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--model-dir", default=None, type=click.Path(file_okay=False),
              help="Folder of model weights, DIR/<name>/ (env SEMCODEC_MODEL_DIR).", envvar="SEMCODEC_MODEL_DIR")
@click.option("--build", "build_dir", default=None, type=click.Path(file_okay=False), metavar="DIR",
              help="First write the real architectures with RANDOM weights into DIR (~5.8 GB; kept if already "
                   "there) and time those.")
@device_option
@click.option("--decoder", type=click.Choice(_LOCAL_DECODERS), default="sd-turbo", show_default=True)
@click.option("--critic", type=click.Choice(critic_names()), default=DEFAULT_CRITIC, show_default=True)
@click.option("-n", "--n", "n", default=4, show_default=True, type=click.IntRange(1, 64), help="Encoder rounds N.")
@click.option("-m", "--m", "m", default=3, show_default=True, type=click.IntRange(1, 64), help="Prompts per round M.")
@click.option("-k", "--k", "k", default=4, show_default=True, type=click.IntRange(1, 64), help="Renders per round K.")
@click.option("--size", default=None, type=click.IntRange(8, 2048),
              help="Render and input size in pixels (default: the decoder's native size).")
@click.option("--repeats", default=1, show_default=True, type=click.IntRange(1, 100),
              help="Runs of each timed section (medians shown, all runs in the JSON).")
@click.option("--steps", "steps_text", default=DEFAULT_STEPS, show_default=True, metavar="LIST",
              help="Step counts for the render-alone timings.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of the table.")
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False),
              help="Also write the JSON report to this file.")
@quiet_option
@sem_errors
def speed(model_dir: str | None, build_dir: str | None, device: str | None, decoder: str, critic: str, n: int,
          m: int, k: int, size: int | None, repeats: int, steps_text: str, as_json: bool, out_path: str | None,
          quiet: bool) -> int:
    """Time encode and decode through the production code (load, warm-up, encode, decode, renders)."""
    steps = _parse_steps(steps_text)
    if build_dir is not None:
        if model_dir is not None and Path(model_dir).resolve() != Path(build_dir).resolve():
            raise click.UsageError("give --build DIR or --model-dir DIR (or the same DIR to both)")
        from ..testing.real_arch import SUPPORTED, build_real_arch

        which = tuple(w for w in (decoder, critic) if w in SUPPORTED)
        if len(which) != 2:
            raise click.UsageError(f"--build knows only {', '.join(SUPPORTED)}")
        message(f"building {', '.join(which)} (real architecture, random weights) in {build_dir}", quiet=quiet)
        start = time.perf_counter()
        build_real_arch(build_dir, which=which)
        message(f"built in {time.perf_counter() - start:.1f} s", quiet=quiet)
        model_dir = build_dir
    if model_dir is None:
        raise click.UsageError("--model-dir DIR (or --build DIR) is required")
    report = run_speed(model_dir=model_dir, device=device, decoder=decoder, critic=critic, n=n, m=m, k=k,
                       size=size, repeats=repeats, steps=steps,
                       notify=None if quiet else (lambda line: message(line)))
    text = json.dumps(report, indent=2, default=str)
    if out_path is not None:
        from ..io import atomic_write

        atomic_write(out_path, (text + "\n").encode("utf-8"))
    click.echo(text if as_json else format_table(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(speed, argv, "sembench speed")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
