"""File helpers: bounded reads and atomic writes (temp file + rename)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

from .errors import InputError, SemError


def read_bounded(path: str | os.PathLike, limit: int, *, what: str = "file") -> bytes:
    """Read at most ``limit`` bytes; a larger input is refused, not truncated.

    ``-`` reads standard input.  Missing paths, directories and unreadable
    files raise :class:`InputError` with one line naming the file.
    """
    name = str(path)
    try:
        if name == "-":
            if sys.stdin is None:  # the process was started with fd 0 closed
                raise InputError("-: standard input is closed")
            data = sys.stdin.buffer.read(limit + 1)
        else:
            p = Path(name)
            if p.is_dir():
                raise InputError(f"{name}: is a directory, not a {what}")
            with open(p, "rb") as fh:
                data = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a {what}") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"{name}: larger than {limit} bytes, too large for a {what}")
    return data


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:  # best effort: the error that brought us here is the one to report
        pass


def _fsync_path(tmp: str) -> None:
    fd = os.open(tmp, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[str], None] | bytes) -> None:
    """Write ``path`` all at once: to a temp file in the same folder, then rename.

    ``write`` is either the bytes to write or a callable given the temp path
    (for writers such as ``PIL.Image.save`` that want a filename).  The temp
    file is flushed and fsynced before the rename, and its mode follows the
    umask.  On any failure the temp file is removed and the destination is
    left untouched; an ``OSError`` becomes a :class:`SemError` (exit 1) whose
    one line names ``path``.  ``-`` writes bytes to standard output.
    """
    name = str(path)
    if name == "-":
        if not isinstance(write, (bytes, bytearray)):
            raise SemError("this output cannot be written to standard output")
        if sys.stdout is None:
            raise SemError("-: standard output is closed")
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(write)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise  # the command edge treats a closed pipe as a quiet exit
        except OSError as exc:
            raise SemError(f"-: cannot write to standard output: {_reason(exc)}") from None
        return
    dest = Path(name)
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{name}: the folder {folder} does not exist")
    if dest.is_dir():
        raise InputError(f"{name}: is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp" + dest.suffix, dir=folder)
    except OSError as exc:
        raise SemError(f"{name}: cannot write: {_reason(exc)}") from None
    try:
        if isinstance(write, (bytes, bytearray)):
            with os.fdopen(fd, "wb") as fh:
                fh.write(write)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            os.close(fd)
            write(tmp)
            _fsync_path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, dest)
    except OSError as exc:
        _remove(tmp)
        raise SemError(f"{name}: cannot write: {_reason(exc)}") from None
    except BaseException:
        _remove(tmp)
        raise
