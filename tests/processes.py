"""Real server processes for end-to-end tests: a free port, a start that
waits until the server answers, and a stop that always runs."""

from __future__ import annotations

import contextlib
import pathlib
import socket
import subprocess
import sys
import time
from typing import Iterator, Sequence

import requests

from conftest import ROOT

BIN = pathlib.Path(sys.executable).parent


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
