"""``radicale_kamin.auth``: the name Radicale (or a WSGI server) loads; the
code lives in ``radicale_kamin.server.auth``."""

from radicale_kamin.server.auth import Auth  # noqa: F401
