"""vdirsyncer, the real CLI client, synced against a server as anna: its
local folder and a ``run(*args)`` that fails the test when vdirsyncer does.
(Not named ``vdirsyncer``: this folder is on ``sys.path``.)"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap
from typing import Callable


def vdirsyncer_of(tmp_path: pathlib.Path, url: str) -> tuple[pathlib.Path, Callable[..., None]]:
    """(local folder, run) for a pair of a local folder and the calendar at ``url``."""
    vdirsyncer = str(pathlib.Path(sys.executable).with_name("vdirsyncer"))
    local = tmp_path / "local" / "termine"
    local.mkdir(parents=True)
    config = tmp_path / "config"
    config.write_text(textwrap.dedent("""\
        [general]
        status_path = "{status}"

        [pair kamin]
        a = "local"
        b = "server"
        collections = null
        conflict_resolution = "b wins"

        [storage local]
        type = "filesystem"
        path = "{local}"
        fileext = ".ics"

        [storage server]
        type = "caldav"
        url = "{url}"
        username = "anna"
        password = "anna-demo"
        """).format(status=tmp_path / "status", local=local, url=url))

    def run(*args: str) -> None:
        result = subprocess.run([vdirsyncer, "-c", str(config), *args], input="y\n",
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    return local, run
