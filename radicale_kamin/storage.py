"""``radicale_kamin.storage``: the name Radicale (or a WSGI server) loads; the
code lives in ``radicale_kamin.server.storage``."""

from radicale_kamin.server.storage import Storage  # noqa: F401
