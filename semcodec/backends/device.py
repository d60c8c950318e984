"""Choosing the torch device (cuda, mps or cpu) and its floating-point type."""

from __future__ import annotations

from typing import Any

from ..errors import MissingError, SemError

LOCAL_EXTRA = "needs the 'local' extra: pip install 'semcodec[local]'"
_KINDS = ("cuda", "mps", "cpu")


def import_torch() -> Any:
    """``import torch``, or MissingError naming the extra."""
    try:
        import torch
    except ImportError:
        raise MissingError(f"local models need PyTorch, which is not installed; {LOCAL_EXTRA}") from None
    return torch


def pick_device(override: str | None = None) -> str:
    """The device to run on: ``override`` if given (checked), else cuda, then mps, then cpu.

    ``override`` is "cuda", "cuda:N", "mps" or "cpu" (case-insensitive).  Asking
    for an accelerator that is not there raises MissingError; an unknown name
    raises SemError.
    """
    torch = import_torch()
    if override is None or override.strip().lower() in ("", "auto"):
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    name = override.strip().lower()
    kind, _, index = name.partition(":")
    if kind not in _KINDS or (index and (kind != "cuda" or not index.isdigit())):
        raise SemError(f"unknown device {override!r}; use cuda, cuda:N, mps or cpu")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise MissingError(f"device {override!r} asked for, but this PyTorch sees no CUDA GPU")
        if index and int(index) >= torch.cuda.device_count():
            raise MissingError(f"device {override!r} asked for, but only {torch.cuda.device_count()} CUDA GPU(s) exist")
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise MissingError("device 'mps' asked for, but Apple MPS is not available here")
    return name


def is_gpu(device: str) -> bool:
    return device.split(":", 1)[0] in ("cuda", "mps")


def torch_dtype(device: str, params: Any = None) -> Any:
    """float16 on a GPU, float32 on the CPU (overridable by ``dtype_gpu``/``dtype_cpu`` params)."""
    torch = import_torch()
    params = params or {}
    name = params.get("dtype_gpu", "float16") if is_gpu(device) else params.get("dtype_cpu", "float32")
    dtype = getattr(torch, str(name), None)
    if not isinstance(dtype, torch.dtype):
        raise SemError(f"unknown torch dtype {name!r} in the registry")
    return dtype
