"""Starting real server processes for end-to-end tests: on a free
127.0.0.1 port, stopped by the test that started them."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
