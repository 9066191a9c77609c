"""Real server processes for end-to-end tests: on a free 127.0.0.1 port,
started from the project folder, waited for until they answer, and always
stopped by the test that started them."""

from __future__ import annotations

import configparser
import contextlib
import pathlib
import socket
import subprocess
import sys
import time
from typing import Iterator, Sequence

import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
RADICALE = str(BIN / "radicale")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv: Sequence[str], log: pathlib.Path, url: str,
          timeout: float = 60) -> subprocess.Popen:
    """Start ``argv`` from the project folder, output to ``log``, and wait
    until ``url`` answers; fail with the log when it exits or never does."""
    with open(log, "w") as log_file:
        process = subprocess.Popen(list(argv), cwd=ROOT, stdout=log_file,
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("%s exited: %s" % (argv[0], log.read_text()))
        try:
            requests.get(url + "/.web/", timeout=2)
            return process
        except requests.ConnectionError:
            time.sleep(0.05)
    stop(process)
    raise AssertionError("%s did not answer within %d s: %s" % (argv[0], timeout, log.read_text()))


def stop(process: subprocess.Popen) -> int:
    """SIGTERM, then SIGKILL after 15 s; the exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    return process.returncode


@contextlib.contextmanager
def running(argv: Sequence[str], log: pathlib.Path, url: str) -> Iterator[subprocess.Popen]:
    process = start(argv, log, url)
    try:
        yield process
    finally:
        stop(process)


@contextlib.contextmanager
def radicale(folder: pathlib.Path, log: pathlib.Path, command: Sequence[str] = (RADICALE,),
             extra: Sequence[str] = (), config: str = "config/radicale.conf") -> Iterator[str]:
    """``radicale --config config/radicale.conf`` (or ``command``, another
    ``config``) on a free port with its data in ``folder``; yields the base
    URL."""
    url = "http://127.0.0.1:%d" % free_port()
    argv = [*command, "--config", config, "--server-hosts", url[len("http://"):],
            "--storage-filesystem-folder", str(folder), *extra]
    with running(argv, log, url):
        yield url


def write_config(folder: pathlib.Path, port: int, **sections: dict) -> pathlib.Path:
    """The bundled config with its own storage folder and port (and
    ``sections`` overridden), as ``folder/radicale.conf``."""
    parser = configparser.RawConfigParser()
    parser.read(ROOT / "config" / "radicale.conf", encoding="utf-8")
    parser.set("server", "hosts", "127.0.0.1:%d" % port)
    parser.set("storage", "filesystem_folder", str(folder / "collections"))
    for section, values in sections.items():
        for option, value in values.items():
            parser.set(section, option, value)
    path = folder / "radicale.conf"
    with open(path, "w", encoding="utf-8") as f:
        parser.write(f)
    return path


@contextlib.contextmanager
def kamin_serve(folder: pathlib.Path, log: pathlib.Path, **sections: dict) -> Iterator[str]:
    """``kamin serve`` (the production command) on a free port with its data
    in ``folder/collections``; yields the base URL."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder, port, **sections)
    url = "http://127.0.0.1:%d" % port
    with running([str(BIN / "kamin"), "serve", "--config", str(config)], log, url):
        yield url
