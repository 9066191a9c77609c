"""Writing files so that what was acknowledged survives a power loss.

Radicale writes each item with a temporary file, an fsync and a rename.
Imports and feed syncs write hundreds of items at once; an fsync per file
costs 0.5–3 ms on common disks (a 20,000-record import: up to a minute), so
a batch is written as Radicale would — temporary files, renames — but made
durable with one flush of the whole file system (Linux ``syncfs``) between
writing the contents and renaming them into place, and one fsync of the
directory after. Whatever a power loss interrupts, every file is either its
old or its new version; once ``write_batch`` returns, the batch is on disk.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import threading
from typing import Iterable

_TEMPORARY = ".Radicale.tmp-kamin-%d-%d-%s"     # Radicale never lists dot files


def _temporary(path: str) -> str:
    directory, name = os.path.split(path)
    return os.path.join(directory, _TEMPORARY % (os.getpid(), threading.get_ident(), name))


def replace_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a hidden temporary file, then
    one rename) — for caches, which may be lost."""
    temporary = _temporary(path)
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


@functools.lru_cache(maxsize=1)
def _syncfs():
    """libc's syncfs (Linux), or None where there is none."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    function = getattr(ctypes.CDLL(name, use_errno=True), "syncfs", None)
    if function is not None:
        function.argtypes = [ctypes.c_int]
    return function


def _flush(directory: str, temporaries: list[str]) -> None:
    """The contents of ``temporaries`` on disk: one syncfs of the file
    system holding ``directory``, else an fsync per file."""
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(directory, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for temporary in temporaries:
        _fsync(temporary)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_directory(directory: str) -> None:
    _fsync(directory)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(directory: str) -> int:
    """Temporary files a killed writer left in ``directory`` (its process
    is gone); Radicale ignores them, but they would pile up."""
    removed = 0
    prefix = _TEMPORARY.split("%", 1)[0]
    for entry in os.scandir(directory):
        if not entry.name.startswith(prefix):
            continue
        pid = entry.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            try:
                os.unlink(entry.path)
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def write_batch(directory: str, files: Iterable[tuple[str, bytes]]) -> None:
    """Write ``files`` (paths inside ``directory``, contents) durably and
    atomically each (module docstring)."""
    remove_stale_temporaries(directory)
    placed = []
    for path, data in files:
        temporary = _temporary(path)
        with open(temporary, "wb") as f:
            f.write(data)
        placed.append((temporary, path))
    if not placed:
        return
    _flush(directory, [temporary for temporary, _ in placed])
    for temporary, path in placed:
        os.replace(temporary, path)
    sync_directory(directory)
