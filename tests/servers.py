"""Starting real server processes for end-to-end tests: on a free
127.0.0.1 port, with the bundled config, stopped by the test that started
them."""

from __future__ import annotations

import contextlib
import pathlib
import socket
import subprocess
import sys
import time
from typing import Iterator, Optional, Sequence

import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
RADICALE = str(pathlib.Path(sys.executable).with_name("radicale"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen,
                         log: Optional[pathlib.Path] = None, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited: %s" % (log.read_text() if log else ""))
        try:
            requests.get(url + "/.web/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("server did not answer within %d s" % seconds)


@contextlib.contextmanager
def radicale(folder: pathlib.Path, log: pathlib.Path, command: Sequence[str] = (RADICALE,),
             extra: Sequence[str] = (), config: str = "config/radicale.conf") -> Iterator[str]:
    """``radicale --config config/radicale.conf`` (or ``command``, another
    ``config``) on a free port with its data in ``folder``; yields the base
    URL."""
    port = free_port()
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [*command, "--config", config,
             "--server-hosts", "127.0.0.1:%d" % port,
             "--storage-filesystem-folder", str(folder), *extra],
            cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    try:
        wait_until_answering(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
