"""Files the office edits — working hours, external calendars, rights —
read at start-up and again whenever they change.

A file named by an option is read when the server starts; a mistake then
stops the server with a message naming the option, the file and what is
wrong. While the server runs, each use asks the file system whether the
file changed (one ``stat``, microseconds) and reads it again if so — in
every server process, since each checks for itself. A broken edit is
refused with one log line naming the problem, and the last good version
stays in force until the file is fixed.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable, Generic, Optional, TypeVar

logger = logging.getLogger("radicale")

T = TypeVar("T")
Identity = Optional[tuple[int, int, int, int]]


def read_option_file(option: str, path: str, parse: Callable[[str], T]) -> T:
    """``parse`` of the file an option names (relative paths: to the current
    directory, like Radicale's own). Raises ValueError naming the option,
    the file and the problem."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ValueError("[storage] %s: cannot read %s (%s)" % (option, path, e.strerror)) from e
    except UnicodeDecodeError as e:
        raise ValueError("[storage] %s: %s is not UTF-8 text" % (option, path)) from e
    try:
        return parse(text)
    except ValueError as e:
        raise ValueError("[storage] %s: %s: %s" % (option, path, e)) from e


def load_option_file(option: str, path: str, parse: Callable[[str], T]) -> T:
    """``read_option_file`` at start-up: a mistake stops the server."""
    try:
        return read_option_file(option, path, parse)
    except ValueError as e:
        raise RuntimeError(str(e)) from e


def file_identity(path: str) -> Identity:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_dev, stat.st_mtime_ns, stat.st_size)


class WatchedFile(Generic[T]):
    """The parsed content of an option's file, re-read when it changes.

    ``path`` "" means the option is not set: ``empty`` is the value.
    Constructing it reads the file (RuntimeError on a mistake, at start-up).
    """

    def __init__(self, option: str, path: str, parse: Callable[[str], T],
                 empty: Callable[[], T]):
        self.option, self.path, self._parse = option, path, parse
        self._lock = threading.Lock()
        if not path:
            self._value, self._seen = empty(), None
            return
        self._seen = file_identity(path)
        self._value = load_option_file(option, path, parse)

    def get(self) -> T:
        if not self.path or file_identity(self.path) == self._seen:
            return self._value
        with self._lock:
            identity = file_identity(self.path)
            if identity != self._seen:
                self._seen = identity       # a broken version is reported once
                try:
                    self._value = read_option_file(self.option, self.path, self._parse)
                except ValueError as e:
                    logger.error("%s — the last good version stays in force", str(e))
                else:
                    logger.info("[storage] %s: %s changed, read again", self.option, self.path)
        return self._value
