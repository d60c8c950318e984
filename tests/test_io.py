"""semcodec.io: bounded reads and atomic writes, including every way they can fail."""

import errno
import io
import os
import stat
import sys
import tempfile

import pytest

from semcodec.errors import EXIT_FAILURE, EXIT_INVALID_INPUT, InputError, SemError
from semcodec.io import atomic_write, read_bounded


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def umask():
    """Set a umask for one test and restore the old one."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


# -- atomic_write: success ---------------------------------------------------


def test_writes_bytes_and_replaces_an_existing_file(tmp_path):
    dest = tmp_path / "out.sem"
    dest.write_bytes(b"old")
    atomic_write(dest, b"new contents")
    assert dest.read_bytes() == b"new contents"
    assert _leftovers(tmp_path) == []


def test_callback_gets_a_temp_path_with_the_same_suffix(tmp_path):
    seen = []

    def write(tmp):
        seen.append(tmp)
        with open(tmp, "wb") as fh:
            fh.write(b"png bytes")

    atomic_write(tmp_path / "image.png", write)
    assert (tmp_path / "image.png").read_bytes() == b"png bytes"
    assert seen[0].endswith(".png") and os.path.dirname(seen[0]) == str(tmp_path)
    assert not os.path.exists(seen[0])


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_mode_follows_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    atomic_write(tmp_path / "a.sem", b"x")
    atomic_write(tmp_path / "b.png", lambda tmp: open(tmp, "wb").close())
    for name in ("a.sem", "b.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


@pytest.mark.parametrize("callback", [False, True])
def test_the_temp_file_is_flushed_and_fsynced_before_the_rename(tmp_path, monkeypatch, callback):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.fstat(fd).st_size))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    data = b"0123456789" * 100
    atomic_write(tmp_path / "f.sem", (lambda tmp: open(tmp, "wb").write(data)) if callback else data)
    # the fsync saw every byte (flushed first) and came before the rename
    assert events == [("fsync", len(data)), ("replace", "f.sem")]


# -- atomic_write: failures ---------------------------------------------------


def test_a_callback_failing_midway_leaves_no_partial_output(tmp_path):
    dest = tmp_path / "out.png"
    dest.write_bytes(b"previous")

    def write(tmp):
        with open(tmp, "wb") as fh:
            fh.write(b"half an ima")
        raise RuntimeError("encoder crashed")

    with pytest.raises(RuntimeError, match="encoder crashed"):
        atomic_write(dest, write)
    assert dest.read_bytes() == b"previous"
    assert _leftovers(tmp_path) == []


def test_a_callback_os_error_becomes_one_line_naming_the_output(tmp_path):
    dest = tmp_path / "new.png"

    def write(tmp):
        open(tmp, "wb").write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(SemError) as info:
        atomic_write(dest, write)
    assert type(info.value) is SemError and info.value.exit_code == EXIT_FAILURE
    assert str(info.value) == f"{dest}: cannot write: No space left on device"
    assert not dest.exists() and _leftovers(tmp_path) == []


@pytest.mark.parametrize("failing", ["fsync", "replace", "chmod"])
def test_os_failures_after_the_write_clean_up(tmp_path, monkeypatch, failing):
    dest = tmp_path / "out.sem"
    dest.write_bytes(b"previous")

    def boom(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(SemError, match=r"out\.sem: cannot write: Input/output error$"):
        atomic_write(dest, b"new")
    monkeypatch.undo()
    assert dest.read_bytes() == b"previous"
    assert _leftovers(tmp_path) == []


def test_mkstemp_failure_names_the_output(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(SemError) as info:
        atomic_write(tmp_path / "x.sem", b"data")
    assert str(info.value) == f"{tmp_path / 'x.sem'}: cannot write: Permission denied"
    assert info.value.exit_code == EXIT_FAILURE


@pytest.mark.skipif(not sys.platform.startswith("linux") or not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_a_real_unwritable_folder(tmp_path):
    with pytest.raises(SemError) as info:
        atomic_write("/proc/x.sem", b"data")
    assert str(info.value).startswith("/proc/x.sem: cannot write: ")
    assert info.value.exit_code == EXIT_FAILURE and "\n" not in str(info.value)


def test_missing_folder_and_directory_destination_write_nothing(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        atomic_write(tmp_path / "no" / "x.sem", b"data")
    (tmp_path / "d.sem").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        atomic_write(tmp_path / "d.sem", b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.sem"]
    assert list((tmp_path / "d.sem").iterdir()) == []


def test_standard_output(monkeypatch):
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer, encoding="latin-1"))
    atomic_write("-", b"SEM\x01\xff")
    assert buffer.getvalue() == b"SEM\x01\xff"
    with pytest.raises(SemError, match="cannot be written to standard output"):
        atomic_write("-", lambda tmp: None)
    monkeypatch.setattr(sys, "stdout", None)
    with pytest.raises(SemError, match="standard output is closed"):
        atomic_write("-", b"x")


# -- read_bounded ------------------------------------------------------------------


def test_read_bounded_limits(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"x" * 10)
    assert read_bounded(f, 10) == b"x" * 10
    with pytest.raises(InputError) as info:
        read_bounded(f, 9, what=".sem file")
    assert str(info.value) == f"{f}: larger than 9 bytes, too large for a .sem file"
    assert info.value.exit_code == EXIT_INVALID_INPUT


def test_read_bounded_missing_and_directory(tmp_path):
    with pytest.raises(InputError, match="nope.sem: no such file$"):
        read_bounded(tmp_path / "nope.sem", 100)
    with pytest.raises(InputError, match="is a directory, not a prompt JSON file$"):
        read_bounded(tmp_path, 100, what="prompt JSON file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_read_bounded_endless_input_is_refused_not_truncated():
    with pytest.raises(InputError, match="larger than 4096 bytes"):
        read_bounded("/dev/zero", 4096)


def test_read_bounded_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"SEM\x01abc")))
    assert read_bounded("-", 100) == b"SEM\x01abc"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"y" * 101)))
    with pytest.raises(InputError, match="-: larger than 100 bytes"):
        read_bounded("-", 100)


def test_read_bounded_closed_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)  # what Python sets when fd 0 is closed at start-up
    with pytest.raises(InputError) as info:
        read_bounded("-", 100)
    assert str(info.value) == "-: standard input is closed"

