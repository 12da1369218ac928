"""Atomic file and directory output: write to a temporary sibling, then rename into place.

A crash, an interrupt, an error or a SIGKILL mid-write therefore never leaves a partial file or
folder behind. Folders are swapped in one step where the OS can (Linux `renameat2` with
RENAME_EXCHANGE); elsewhere the old folder is renamed aside first, and `recover_directory` puts it
back if the process died between the two renames. Output gets the user's umask, as `open` would.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator, Optional


def current_umask() -> int:
    """The process umask, read without changing it where /proc allows (changing it is not thread-safe)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file next to `path`; on success it replaces `path`, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes it private (0600)
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _aside(path: Path) -> Path:
    """Where the fallback swap keeps the previous folder while the new one is renamed in."""
    return path.with_name(f".{path.name}.old")


def recover_directory(path: str | Path) -> bool:
    """Put back the previous version of `path` if a process died between the fallback swap's two renames.

    Returns True when it restored something. Cheap when nothing is wrong (two `exists` checks).
    """
    path = Path(path)
    aside = _aside(path)
    if path.exists() or not aside.is_dir():
        return False
    with contextlib.suppress(FileNotFoundError):
        os.replace(aside, path)
        return True
    return False


def _remove_leftovers(path: Path) -> None:
    """Delete temporary siblings of `path` that a killed earlier write left (never the live folder)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    aside = _aside(path)
    if path.exists() and aside.exists():
        shutil.rmtree(aside, ignore_errors=True)


_RENAME_EXCHANGE = 2
_renameat2: Optional[object] = None
if sys.platform.startswith("linux"):
    with contextlib.suppress(OSError, AttributeError):
        _libc = ctypes.CDLL(None, use_errno=True)
        _renameat2 = _libc.renameat2
        _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]  # type: ignore[attr-defined]
        _renameat2.restype = ctypes.c_int  # type: ignore[attr-defined]


def exchange_paths(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the OS or file system cannot."""
    if _renameat2 is None:
        return False
    at_cwd = -100
    result = _renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), _RENAME_EXCHANGE)  # type: ignore[operator]
    return result == 0


@contextlib.contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory next to `path`; on success it replaces `path` (old content removed).

    At every moment `path` is either the complete old folder or the complete new one (with the
    fallback swap, a kill between its two renames is undone by `recover_directory`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover_directory(path)
    _remove_leftovers(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes it private; a saved model should not be
    try:
        yield tmp
        if not path.exists():
            os.replace(tmp, path)
        elif exchange_paths(tmp, path):
            shutil.rmtree(tmp, ignore_errors=True)  # now the old content
        else:
            aside = _aside(path)
            if aside.exists():
                shutil.rmtree(aside)
            os.replace(path, aside)
            os.replace(tmp, path)
            shutil.rmtree(aside, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
