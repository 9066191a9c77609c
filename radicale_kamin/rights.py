"""``radicale_kamin.rights``: the name Radicale (or a WSGI server) loads; the
code lives in ``radicale_kamin.server.rights``."""

from radicale_kamin.server.rights import Rights  # noqa: F401
